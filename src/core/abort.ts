/** Waiting that stops when an op is cancelled or times out: one implementation for every layer. */

/** Sleeps `ms`, or rejects with the signal's reason as soon as it fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles with `work`, or rejects with the signal's reason first; `work` itself is not stopped. With
 * `graceMs`, work that is told to stop gets that long to settle in its own words: a write half done
 * can then say what state it left, instead of a bare "cancelled".
 */
export function raceSignal<T>(work: Promise<T>, signal?: AbortSignal, graceMs = 0): Promise<T> {
  if (!signal) return work;
  if (signal.aborted && graceMs === 0) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      if (graceMs === 0) reject(signal.reason);
      else timer = setTimeout(() => reject(signal.reason), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(timer);
    };
    work.then(
      (v) => {
        settle();
        resolve(v);
      },
      (e: unknown) => {
        settle();
        reject(e);
      },
    );
  });
}
