import { Timeout } from '../../core/errors.js';
import { sleep } from '../../core/abort.js';

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
