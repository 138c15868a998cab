/** Deterministic names, hashes and uids, so a scenario expands the same way every time. */
import { createHash } from 'node:crypto';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

// Each start and reset() expands the scenario again, asking for the same few thousand hashes: kept once
// computed (pure functions of their arguments). Bounded: the controllers also hash what never repeats
// (an event's time), and `homelab sandbox` runs for hours.
const hashed = new Map<string, string>();
const REMEMBERED = 50_000;
function remembered(key: string, compute: () => string): string {
  let value = hashed.get(key);
  if (value === undefined) {
    if (hashed.size >= REMEMBERED) hashed.clear();
    hashed.set(key, (value = compute()));
  }
  return value;
}

export function hashString(seed: string, n: number): string {
  return remembered(`s${n}:${seed}`, () => {
    const h = createHash('sha256').update(seed).digest();
    let s = '';
    for (let i = 0; i < n; i++) s += SAFE[(h[i] as number) % SAFE.length];
    return s;
  });
}
export function hex(seed: string, n: number): string {
  return remembered(`h${n}:${seed}`, () => {
    let s = '';
    for (let i = 0; s.length < n; i++) s += createHash('sha256').update(`${seed}#${i}`).digest('hex');
    return s.slice(0, n);
  });
}
export function uidFor(seed: string): string {
  const h = hex(`uid:${seed}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16] as string, 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
