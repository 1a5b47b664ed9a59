// The port of token buckets shared by every instance of a fleet (rate limits that hold for the whole fleet).
// Adapter: Redis (redis/redis-token-buckets.ts). Without a shared store the buckets stay in each process.

export interface SharedBucketStore {
  /**
   * Takes up to `n` tokens from the bucket named `bucket` (refilled at `perSecond`, holding at most `capacity`).
   * Resolves how many were granted and, when fewer than `n`, how long until the next token. Rejects when the store is
   * unreachable.
   */
  take(bucket: string, limits: { perSecond: number; capacity: number }, n: number): Promise<{ granted: number; retryAfterMs: number }>;
}
