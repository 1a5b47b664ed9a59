// Token buckets keyed by a string (an API key, a player id), refilled lazily on each take. A bucket that has refilled
// completely is the same as no bucket, so idle buckets are dropped: memory follows the callers active in the last few
// seconds, and a hard cap bounds it whatever the traffic.

export interface BucketLimits {
  /** Tokens added per second: the steady rate. */
  perSecond: number;
  /** Tokens a bucket holds above one second's worth: a full bucket allows `perSecond + burst` requests at once. */
  burst: number;
}

export interface TokenBucketsOptions {
  /** Most buckets kept; past it the least recently used is dropped (its caller starts again with a full bucket). Default 100000. */
  maxBuckets?: number;
  /** Clock in milliseconds, monotonic. Default performance.now. */
  now?: () => number;
}

export const DEFAULT_TOKEN_BUCKETS_OPTIONS: Readonly<Required<Pick<TokenBucketsOptions, 'maxBuckets'>>> = Object.freeze({ maxBuckets: 100_000 });

export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  /** When `tokens` was computed. */
  at: number;
  /** When the bucket will be full again, if nothing takes from it. */
  fullAt: number;
}

const OK: TakeResult = Object.freeze({ ok: true });

export class TokenBuckets {
  // A Map iterates in insertion order; re-inserting on every take keeps the least recently used first.
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxBuckets: number;
  private readonly now: () => number;

  constructor(options: TokenBucketsOptions = {}) {
    this.maxBuckets = options.maxBuckets ?? DEFAULT_TOKEN_BUCKETS_OPTIONS.maxBuckets;
    this.now = options.now ?? (() => performance.now());
  }

  /** Buckets held now. */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Takes one token from `key`'s bucket. The limits are read on every call, so a config reload applies at once
   * (a bucket above a lowered capacity is cut down to it).
   */
  take(key: string, limits: BucketLimits): TakeResult {
    const now = this.now();
    const rate = limits.perSecond;
    const capacity = rate + limits.burst;
    const bucket = this.buckets.get(key);
    let tokens = capacity;
    if (bucket) {
      tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      this.buckets.delete(key);
    }
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    this.buckets.set(key, { tokens, at: now, fullAt: now + ((capacity - tokens) / rate) * 1000 });
    this.evict(now);
    if (allowed) return OK;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / rate)) };
  }

  /** Drops full buckets from the least recently used end, then the oldest beyond the cap. Amortised O(1) per take. */
  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.fullAt > now && this.buckets.size <= this.maxBuckets) break;
      this.buckets.delete(key);
    }
  }
}
