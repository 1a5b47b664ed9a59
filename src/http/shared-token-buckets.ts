// Token buckets shared by the fleet: the bucket lives in a shared store (Redis), so N instances together allow the
// configured rate, not N times it. Two ways to use the store, measured by bench/scenarios/rate-limit.ts:
//   - exact (shareMs 0): one take from the store per check (the Redis adapter sends the takes of one turn in one call);
//   - local share (shareMs > 0, the default): an instance takes `rate × shareMs` tokens at once and spends them
//     locally, so a busy key costs one call per share instead of one per request. Tokens taken but not spent within
//     `localTtlMs` are dropped, so at most one share per instance is ever spent late: with the defaults the fleet-wide
//     rate holds within 1% of a second's tokens per instance.
// A refusal is remembered until the store said the next token comes, so a flood over the limit does not reach the
// store at all. When the store is unreachable, each process falls back to its own buckets (the per-process limits of a
// deployment without Redis) rather than refusing or letting everything through.
import type { SharedBucketStore } from '../backends/shared-bucket-port.js';
import { TokenBuckets, type BucketLimits, type TakeResult } from './token-buckets.js';

export interface SharedTokenBucketsOptions {
  /** Milliseconds' worth of the rate one instance takes from the store at once; 0 takes one token per check. Default 10. */
  shareMs?: number;
  /** Tokens taken ahead and not spent within this long are dropped. Default 1000 ms. */
  localTtlMs?: number;
  /** Most keys tracked locally. Default 100000. */
  maxBuckets?: number;
  /** Clock in milliseconds, monotonic. Default performance.now. */
  now?: () => number;
  /** Called when the store fails (the check then uses this process's own bucket). */
  onStoreError?: (err: unknown) => void;
}

export const DEFAULT_SHARED_TOKEN_BUCKETS_OPTIONS: Readonly<Required<Pick<SharedTokenBucketsOptions, 'shareMs' | 'localTtlMs' | 'maxBuckets'>>> = Object.freeze({
  shareMs: 10,
  localTtlMs: 1000,
  maxBuckets: 100_000,
});

interface Share {
  /** Tokens taken from the store and not spent yet. */
  allowance: number;
  /** When the allowance is dropped. */
  expiresAt: number;
  /** Until then, checks are refused without asking the store (it said the bucket is empty). */
  deniedUntil: number;
  refill?: Promise<void>;
  /** Checks waiting for the next refill: it asks for at least as many tokens. */
  waiters: number;
  /** The last refill failed: use the local bucket. */
  storeFailed: boolean;
}

const OK: TakeResult = Object.freeze({ ok: true });
const MAX_ROUNDS = 20;

export class SharedTokenBuckets {
  private readonly shares = new Map<string, Share>();
  private readonly local: TokenBuckets;
  private readonly shareMs: number;
  private readonly localTtlMs: number;
  private readonly maxBuckets: number;
  private readonly now: () => number;

  constructor(private readonly store: SharedBucketStore, private readonly name: string, private readonly options: SharedTokenBucketsOptions = {}) {
    this.shareMs = options.shareMs ?? DEFAULT_SHARED_TOKEN_BUCKETS_OPTIONS.shareMs;
    this.localTtlMs = options.localTtlMs ?? DEFAULT_SHARED_TOKEN_BUCKETS_OPTIONS.localTtlMs;
    this.maxBuckets = options.maxBuckets ?? DEFAULT_SHARED_TOKEN_BUCKETS_OPTIONS.maxBuckets;
    this.now = options.now ?? (() => performance.now());
    this.local = new TokenBuckets({ maxBuckets: this.maxBuckets, now: this.now });
  }

  /**
   * Takes one token from `key`'s fleet-wide bucket. The limits are read on every call, as for TokenBuckets. Answers at
   * once (not a promise) when this process decides alone: a token of its share, or a refusal it remembers.
   */
  take(key: string, limits: BucketLimits): TakeResult | Promise<TakeResult> {
    const now = this.now();
    const share = this.share(key, now);
    return this.decide(share, now) ?? this.takeFromStore(key, share, limits);
  }

  /** What this process can answer without the store, if anything. */
  private decide(share: Share, now: number): TakeResult | undefined {
    if (share.allowance > 0 && now < share.expiresAt) {
      share.allowance--;
      return OK;
    }
    if (now < share.deniedUntil) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((share.deniedUntil - now) / 1000)) };
    return undefined;
  }

  private async takeFromStore(key: string, first: Share, limits: BucketLimits): Promise<TakeResult> {
    const capacity = limits.perSecond + limits.burst;
    const batch = Math.max(1, Math.min(capacity, Math.floor((limits.perSecond * this.shareMs) / 1000)));
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let share = first;
      if (round > 0) {
        // After a refill that other checks shared: what it brought may already be spent.
        const now = this.now();
        share = this.share(key, now);
        const decided = this.decide(share, now);
        if (decided) return decided;
      }
      if (batch === 1) {
        // Exact mode: each check is its own call, so concurrent checks of one key do not queue behind each other.
        const got = await this.fetch(key, share, { perSecond: limits.perSecond, capacity }, 1);
        if (got === undefined) return this.local.take(key, limits);
        if (got > 0) return OK;
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((share.deniedUntil - this.now()) / 1000)) };
      }
      share.waiters++;
      // Started after the current microtasks, so the checks arriving together share one call sized for all of them.
      share.refill ??= Promise.resolve().then(() => this.refill(key, share, { perSecond: limits.perSecond, capacity }, batch));
      await share.refill;
      if (share.storeFailed) return this.local.take(key, limits);
    }
    return { ok: false, retryAfterSeconds: 1 };
  }

  private share(key: string, now: number): Share {
    let share = this.shares.get(key);
    if (share) {
      this.shares.delete(key);
    } else {
      share = { allowance: 0, expiresAt: 0, deniedUntil: 0, storeFailed: false, waiters: 0 };
    }
    // Re-inserted on every use: the least recently used come first and are dropped first.
    this.shares.set(key, share);
    for (const [k, s] of this.shares) {
      const idle = !s.refill && s.deniedUntil <= now && (s.allowance === 0 || s.expiresAt <= now);
      if (s === share || (!idle && this.shares.size <= this.maxBuckets)) break;
      this.shares.delete(k);
    }
    return share;
  }

  private async refill(key: string, share: Share, limits: { perSecond: number; capacity: number }, batch: number): Promise<void> {
    const n = Math.min(limits.capacity, Math.max(batch, share.waiters));
    share.waiters = 0;
    try {
      const granted = await this.fetch(key, share, limits, n);
      if (granted !== undefined && granted > 0) {
        share.allowance += granted;
        share.expiresAt = this.now() + this.localTtlMs;
      }
    } finally {
      share.refill = undefined;
    }
  }

  /** Tokens granted by the store (and the refusal remembered when none), or undefined when the store failed. */
  private async fetch(key: string, share: Share, limits: { perSecond: number; capacity: number }, n: number): Promise<number | undefined> {
    try {
      const { granted, retryAfterMs } = await this.store.take(`${this.name}:${key}`, limits, n);
      share.storeFailed = false;
      // Fewer than asked: the fleet's bucket is empty until the next token.
      if (granted < n) share.deniedUntil = this.now() + Math.max(1, retryAfterMs);
      return granted;
    } catch (err) {
      share.storeFailed = true;
      this.options.onStoreError?.(err);
      return undefined;
    }
  }
}
