import { z } from 'zod';
import { Timeout } from '../../core/errors.js';
import { sleep } from '../../core/abort.js';
import type { OpContext } from '../../core/op.js';
import { durationSchema, parseDuration } from '../../core/schemas.js';

/**
 * Polls `probe` until it returns a value, or throws Timeout with `describe()` saying what was
 * still missing. Controllers answer in seconds; a poll every 500 ms is what the flux CLI does.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; signal: AbortSignal; describe: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Timeout(options.describe());
    await sleep(Math.min(options.intervalMs ?? 500, Math.max(0, deadline - Date.now())), options.signal);
  }
}

/** A wait's cadence: the op's own (`ownMs`), unless the context sets one for every wait. */
export function pollInterval(ctx: Pick<OpContext, 'pollIntervalMs'>, ownMs = 500): number {
  return ctx.pollIntervalMs ?? ownMs;
}

/** What a write that has an outcome to await takes: whether to wait, and for how long. */
export interface WaitInput {
  wait: boolean;
  timeout: string;
}

/**
 * The `wait` and `timeout` inputs of every write with an outcome to await (a rollout, a
 * reconcile, a Job, a sync, a scan): one shape on both doors (`--no-wait`, `--timeout 2m`), each
 * op with its own default and longest wait.
 */
export function waitInput(options: { timeout: string; max: string }) {
  const maxSeconds = parseDuration(options.max) ?? 0;
  return {
    wait: z.boolean().default(true).describe('Wait for the outcome'),
    timeout: durationSchema
      .refine((s) => {
        const secs = parseDuration(s) ?? 0;
        return secs >= 1 && secs <= maxSeconds;
      }, `must be a duration from 1s to ${options.max}`)
      .default(options.timeout)
      .describe('How long to wait, in all'),
  };
}

/** The op's bound for this input: the time the change itself may take, plus the wait asked for. */
export function boundWithWait(changeMs: number): (input: WaitInput) => number {
  return (input) => changeMs + (input.wait ? waitMs(input) : 0);
}

export function waitMs(input: Pick<WaitInput, 'timeout'>): number {
  return (parseDuration(input.timeout) ?? 0) * 1000;
}

/** The one wait budget of a write: every object it waits for takes from the same timeout. */
export interface WaitBudget {
  /** As the user gave it, for messages: "5m". */
  label: string;
  deadline: number;
}

export function waitBudget(input: Pick<WaitInput, 'timeout'>): WaitBudget {
  return { label: input.timeout, deadline: Date.now() + waitMs(input) };
}

/** What is left of a budget, for one more wait. */
export function remainingMs(budget: WaitBudget): number {
  return Math.max(0, budget.deadline - Date.now());
}
