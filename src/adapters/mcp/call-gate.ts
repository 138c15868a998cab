/**
 * How many tool calls the HTTP server works on at once. A call holds memory while it runs (a health
 * check of a large cluster holds every pod it listed), so calls are what is counted, not HTTP requests:
 * a JSON-RPC batch is many calls. At most maxRunning run; up to maxQueued more wait their turn in
 * arrival order; a request whose calls do not fit is refused before any of them starts.
 */
export interface GateLimits {
  maxRunning: number;
  maxQueued: number;
}

export interface GateLoad {
  running: number;
  /** Admitted and not yet running: waiting for a turn, or not yet reached by the MCP server. */
  waiting: number;
}

/** Runs one call of an admitted request when its turn comes; rejects if signal aborts first. */
export type RunCall = <T>(call: () => Promise<T>, signal: AbortSignal) => Promise<T>;

export interface Admission {
  run: RunCall;
  /** Gives back the room of calls that never came (the client left, or the SDK refused them itself). */
  release(): void;
}

/** What the first estimate of a call's duration is, before any call has finished. */
const INITIAL_CALL_MS = 2_000;

export class CallGate {
  private running = 0;
  /** Calls admitted and not finished: running, queued, or not yet arrived. */
  private admitted = 0;
  private readonly queue: Array<() => void> = [];
  private averageMs = INITIAL_CALL_MS;

  constructor(private readonly limits: GateLimits) {}

  get load(): GateLoad {
    return { running: this.running, waiting: this.admitted - this.running };
  }

  /** The room for calls, running and queued together: a request with more calls can never be admitted. */
  get capacity(): number {
    return this.limits.maxRunning + this.limits.maxQueued;
  }

  /** Reserves room for `calls` calls, or undefined when they do not fit. */
  admit(calls: number): Admission | undefined {
    if (this.admitted + calls > this.capacity) return undefined;
    this.admitted += calls;
    let unclaimed = calls;
    return {
      run: async <T>(call: () => Promise<T>, signal: AbortSignal): Promise<T> => {
        if (unclaimed === 0) throw new Error('internal error: a request ran more tool calls than it carried');
        unclaimed--;
        try {
          await this.turn(signal);
        } catch (err) {
          this.admitted--;
          throw err;
        }
        const started = performance.now();
        try {
          return await call();
        } finally {
          this.averageMs = 0.8 * this.averageMs + 0.2 * (performance.now() - started);
          this.running--;
          this.admitted--;
          this.queue.shift()?.();
        }
      },
      release: () => {
        this.admitted -= unclaimed;
        unclaimed = 0;
      },
    };
  }

  /** Seconds until room is likely: the calls ahead, shared by the running slots, at the average call's duration. */
  retryAfterSeconds(): number {
    const rounds = Math.max(1, this.admitted / this.limits.maxRunning);
    return Math.min(60, Math.max(1, Math.ceil((rounds * this.averageMs) / 1000)));
  }

  /** Resolves when a running slot is ours; a slot freed by a call hands itself to the next in line. */
  private turn(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.running < this.limits.maxRunning && this.queue.length === 0) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const ready = () => {
        signal.removeEventListener('abort', abandon);
        this.running++;
        resolve();
      };
      const abandon = () => {
        const at = this.queue.indexOf(ready);
        if (at >= 0) this.queue.splice(at, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error('the client went away before the call started'));
      };
      signal.addEventListener('abort', abandon, { once: true });
      this.queue.push(ready);
    });
  }
}
