// The fleet's token buckets on a hand-driven clock, with an in-process store that does the bucket arithmetic of the
// Lua script (the Redis script itself is tested against Redis in the fleet-wide limits and Redis Cluster tests).
import { describe, expect, it } from 'vitest';
import type { SharedBucketStore } from '../../src/backends/shared-bucket-port.js';
import { SharedTokenBuckets } from '../../src/http/shared-token-buckets.js';

class ClockedStore implements SharedBucketStore {
  calls = 0;
  down = false;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly clock: { now: number }) {}
  async take(bucket: string, limits: { perSecond: number; capacity: number }, n: number) {
    this.calls++;
    if (this.down) throw new Error('connection refused');
    const b = this.buckets.get(bucket);
    let tokens = b ? Math.min(limits.capacity, b.tokens + ((this.clock.now - b.at) / 1000) * limits.perSecond) : limits.capacity;
    const granted = Math.max(0, Math.min(n, Math.floor(tokens)));
    tokens -= granted;
    this.buckets.set(bucket, { tokens, at: this.clock.now });
    return { granted, retryAfterMs: granted < n ? Math.ceil(((1 - (tokens % 1)) / limits.perSecond) * 1000) : 0 };
  }
}

const limits = { perSecond: 1000, burst: 0 };

describe('shared token buckets', () => {
  it('takes a share of the rate at once and spends it locally', async () => {
    const clock = { now: 0 };
    const store = new ClockedStore(clock);
    const buckets = new SharedTokenBuckets(store, 'key', { shareMs: 10, now: () => clock.now });
    const results = await Promise.all(Array.from({ length: 1000 }, () => buckets.take('game', limits)));
    expect(results.filter((r) => r.ok)).toHaveLength(1000);
    // The checks that arrived together shared one call sized for all of them.
    expect(store.calls).toBe(1);
    const over = await buckets.take('game', limits);
    expect(over).toEqual({ ok: false, retryAfterSeconds: 1 });
    // The refusal is remembered until the next token: a flood does not reach the store.
    const calls = store.calls;
    for (let i = 0; i < 100; i++) expect((await buckets.take('game', limits)).ok).toBe(false);
    expect(store.calls).toBe(calls);
    clock.now += 100;
    const after = [];
    for (let i = 0; i < 150; i++) after.push(await buckets.take('game', limits));
    expect(after.filter((r) => r.ok)).toHaveLength(100);
    expect(store.calls).toBe(calls + 11); // 10 shares of 10 tokens, then the refusal
  });

  it('shares one bucket between instances', async () => {
    const clock = { now: 0 };
    const store = new ClockedStore(clock);
    const fleet = [0, 1, 2].map(() => new SharedTokenBuckets(store, 'key', { shareMs: 10, now: () => clock.now }));
    let allowed = 0;
    for (let i = 0; i < 3000; i++) if ((await (fleet[i % 3] as SharedTokenBuckets).take('game', limits)).ok) allowed++;
    expect(allowed).toBe(1000);
  });

  it('checks every request in the store when a share is under one token, and drops shares left unspent', async () => {
    const clock = { now: 0 };
    const store = new ClockedStore(clock);
    const buckets = new SharedTokenBuckets(store, 'player', { shareMs: 10, localTtlMs: 1000, now: () => clock.now });
    const slow = { perSecond: 20, burst: 5 };
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await buckets.take('p1', slow));
    expect(results.filter((r) => r.ok)).toHaveLength(25);
    // One call per check, and none for the checks refused while the refusal stands.
    expect(store.calls).toBe(26);
  });

  it('falls back to a per-process bucket while the store is unreachable', async () => {
    const clock = { now: 0 };
    const store = new ClockedStore(clock);
    const errors: unknown[] = [];
    const buckets = new SharedTokenBuckets(store, 'key', { shareMs: 10, now: () => clock.now, onStoreError: (e) => errors.push(e) });
    store.down = true;
    const results = [];
    for (let i = 0; i < 1100; i++) results.push(await buckets.take('game', limits));
    expect(results.filter((r) => r.ok)).toHaveLength(1000);
    expect(errors.length).toBeGreaterThan(0);
    store.down = false;
    clock.now += 2000;
    expect((await buckets.take('game', limits)).ok).toBe(true);
    expect(store.calls).toBeGreaterThan(1100);
  });
});
