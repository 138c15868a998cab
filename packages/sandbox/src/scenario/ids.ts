/** Deterministic names, hashes and uids, so a scenario expands the same way every time. */
import { createHash } from 'node:crypto';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

export function hashString(seed: string, n: number): string {
  const h = createHash('sha256').update(seed).digest();
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE[(h[i] as number) % SAFE.length];
  return s;
}
export function hex(seed: string, n: number): string {
  let s = '';
  for (let i = 0; s.length < n; i++) s += createHash('sha256').update(`${seed}#${i}`).digest('hex');
  return s.slice(0, n);
}
export function uidFor(seed: string): string {
  const h = hex(`uid:${seed}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16] as string, 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
