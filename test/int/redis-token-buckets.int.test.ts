// The Redis adapter of the fleet's token buckets on a single node: the takes of one turn go out as one script call,
// and each still gets its own answer, in order, as if taken one after the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createRedisClient } from '../../src/backends/redis/index.js';
import { RedisTokenBuckets } from '../../src/backends/redis/redis-token-buckets.js';
import { countScriptCalls, openTestRedis, type TestRedis } from '../helpers/redis.js';

describe('Redis token buckets (single node)', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await openTestRedis();
  });
  afterAll(async () => {
    await redis?.cleanup();
  });

  it('answers the takes of one turn with one script call, each bucket on its own and a bucket named twice in order', async () => {
    const store = new RedisTokenBuckets(redis.client, { keyPrefix: redis.prefix });
    const limits = { perSecond: 1, capacity: 3 };
    const { result, calls } = await countScriptCalls(redis.client, () => Promise.all([
      ...Array.from({ length: 10 }, (_, i) => store.take(`player:b${i}`, limits, 2)),
      store.take('player:b0', limits, 2),
      store.take('player:b1', limits, 1),
    ]));
    expect(calls).toBe(1);
    expect(result.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => ({ granted: 2, retryAfterMs: 0 })));
    // b0 had 1 token left of 3: one of the two asked; b1's last token goes to the third take.
    expect(result[10]?.granted).toBe(1);
    expect(result[10]?.retryAfterMs).toBeGreaterThan(0);
    expect(result[10]?.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(result[11]).toEqual({ granted: 1, retryAfterMs: 0 });
    const stored = await redis.client.hget(`${redis.prefix}rl:{player:b5}`, 'tokens');
    expect(Number(stored)).toBeCloseTo(1, 1);

    // Takes of a later turn are a call of their own.
    const later = await countScriptCalls(redis.client, () => store.take('player:b5', limits, 1));
    expect(later.calls).toBe(1);
    expect(later.result.granted).toBe(1);
  });

  it('rejects every take of a turn when Redis cannot be reached', async () => {
    const down = createRedisClient('redis://127.0.0.1:1', { name: 'realmstate-test', connectTimeoutMs: 200 });
    try {
      expect(await connectRedis(down, 300)).toBe(false);
      const store = new RedisTokenBuckets(down, { keyPrefix: redis.prefix });
      const settled = await Promise.allSettled([1, 2, 3].map((i) => store.take(`player:x${i}`, { perSecond: 1, capacity: 1 }, 1)));
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    } finally {
      down.disconnect();
    }
  });

  it('splits a very large turn into several calls, every take answered', async () => {
    const store = new RedisTokenBuckets(redis.client, { keyPrefix: redis.prefix });
    const { result, calls } = await countScriptCalls(redis.client, () => Promise.all(Array.from({ length: 300 }, (_, i) => store.take(`player:many${i}`, { perSecond: 10, capacity: 10 }, 1))));
    expect(calls).toBe(3);
    expect(result.every((r) => r.granted === 1 && r.retryAfterMs === 0)).toBe(true);
  });
});
