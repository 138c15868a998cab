/** A token bucket per caller: `burst` requests at once, refilled at `perMinute` a minute. */
export interface RateLimit {
  perMinute: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  /** performance.now() when `tokens` was last brought up to date. */
  at: number;
}

/**
 * The per-key rate limit of the HTTP door. Each JSON-RPC request costs one token (a batch costs its
 * length), so a flood of small calls and one long batch weigh the same. Buckets live in this process:
 * behind a Service with N replicas a key gets up to N times the limit, which still stops a runaway loop.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes `cost` tokens from `caller`'s bucket; when they are not there, takes none and says how many seconds until they are. */
  take(caller: string, cost: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const perMs = this.limit.perMinute / 60_000;
    const now = this.now();
    const bucket = this.buckets.get(caller) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    this.buckets.set(caller, bucket);
    if (cost <= bucket.tokens) {
      bucket.tokens -= cost;
      return { ok: true };
    }
    // The config keeps burst ≥ maxBatch, so every admissible request fits in a full bucket.
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - bucket.tokens) / perMs / 1000)) };
  }
}
