/** Bits the fake services share: scenario time fields, secrets, clocks. */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { isTimeSpec, resolveTime } from '../scenario/time.js';

export const timeSpec = z.string().refine(isTimeSpec, { message: 'expected a time: relative like -5m / -16d, "now", or RFC3339' });

/** a fresh random secret (passwords and API keys are never stored in scenario files unless a test wants one) */
export function secret(bytes = 18): string {
  return randomBytes(bytes).toString('base64url');
}

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export function at(spec: string, now: Date): Date {
  return resolveTime(spec, now);
}

/** the clocks a fake runs on: `now` for scenario data (the sandbox clock), `mono` (ms, real) for timeouts */
export interface Clocks {
  now: () => Date;
  mono: () => number;
}

export const realMono = (): number => performance.now();

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
