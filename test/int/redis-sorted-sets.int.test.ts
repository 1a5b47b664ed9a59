// The Redis adapter of the sorted-set port on a single node: the score writes of one turn go out as one script call
// per 16 writes, applied in order as if each had been its own call, and a write that fails fails alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberOf, RedisSortedSets } from '../../src/backends/redis/index.js';
import { SetMissingError } from '../../src/backends/sorted-set-port.js';
import { countScriptCalls, openTestRedis, type TestRedis } from '../helpers/redis.js';

describe('Redis sorted sets (single node)', () => {
  let redis: TestRedis;
  let store: RedisSortedSets;
  beforeAll(async () => {
    redis = await openTestRedis();
    store = new RedisSortedSets(redis.client, { keyPrefix: redis.prefix });
  });
  afterAll(async () => {
    await redis?.cleanup();
  });

  it('sends the writes of one turn as one call per 16, each answered as if applied alone, in order', async () => {
    await store.restore('turn', async () => [], { force: true });
    // 40 writes: p0..p19 get 100+i, then p0..p19 again with `min` of a lower value for the even ones only.
    const { result, calls } = await countScriptCalls(redis.client, () => Promise.all([
      ...Array.from({ length: 20 }, (_, i) => store.submit('turn', `p${i}`, { op: 'min', value: 100 + i, at: 1000 + i })),
      ...Array.from({ length: 20 }, (_, i) => store.submit('turn', `p${i}`, { op: 'min', value: i % 2 === 0 ? i : 500, at: 2000 + i })),
    ]));
    expect(calls).toBe(3);
    // The first 20 writes: each new player enters behind the ones before it.
    expect(result.slice(0, 20).map((r) => r?.entry.position)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(result.slice(0, 20).every((r) => r?.changed === true)).toBe(true);
    const again = result.slice(20);
    again.forEach((r, i) => {
      expect(r?.changed).toBe(i % 2 === 0);
      expect(r?.entry.score).toBe(i % 2 === 0 ? i : 100 + i);
      expect(r?.entry.at).toBe(i % 2 === 0 ? 2000 + i : 1000 + i);
    });
    // p18 (now 18): the nine even players before it scored lower in this very turn; the odd ones (101..119) are behind.
    expect(again[18]?.entry.position).toBe(9);
    expect((await store.range('turn', 0, 40)).map((e) => e.playerId)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `p${2 * i}`),
      ...Array.from({ length: 10 }, (_, i) => `p${2 * i + 1}`),
    ]);
  });

  it('fails only the write that meets an error or a missing set; the others of its call are applied', async () => {
    await store.restore('good', async () => [], { force: true });
    await store.restore('broken', async () => [], { force: true });
    await redis.client.set(`${redis.prefix}lb:{broken}:h`, 'not a hash');
    const settled = await Promise.allSettled([
      store.submit('good', 'a', { op: 'set', value: 5, at: 1 }),
      store.submit('broken', 'a', { op: 'set', value: 5, at: 2 }),
      store.submit('never-made', 'a', { op: 'set', value: 5, at: 3 }),
      // A write carrying a score from another set (a region move) between the others: it takes two more arguments.
      store.submit('good', 'c', { op: 'min', value: 9, at: 5, carry: { playerId: 'c', score: 2, at: 1 } }),
      store.submit('good', 'b', { op: 'set', value: 3, at: 4 }),
    ]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: { entry: { playerId: 'a', score: 5, at: 1, position: 0 }, changed: true } });
    expect(settled[1]?.status === 'rejected' && String(settled[1].reason)).toMatch(/WRONGTYPE/);
    expect(settled[2]?.status === 'rejected' && settled[2].reason).toBeInstanceOf(SetMissingError);
    // The carried 2 beats the submitted 9 under min: it stands, unchanged, with its own time.
    expect(settled[3]).toEqual({ status: 'fulfilled', value: { entry: { playerId: 'c', score: 2, at: 1, position: 0 }, changed: false } });
    expect(settled[4]).toEqual({ status: 'fulfilled', value: { entry: { playerId: 'b', score: 3, at: 4, position: 1 }, changed: true } });
  });

  it('reads and rewrites entries an older version stored (the member in the hash), and repairs a member the set lost', async () => {
    await store.restore('legacy', async () => [], { force: true });
    const z = `${redis.prefix}lb:{legacy}:z`;
    const h = `${redis.prefix}lb:{legacy}:h`;
    // As an older version wrote them: the hash holds the member, the score is only in the sorted set.
    await redis.client.zadd(z, 7, memberOf(100, 'old'), 3, memberOf(90, 'older'));
    await redis.client.hset(h, 'old', memberOf(100, 'old'), 'older', memberOf(90, 'older'));
    expect(await store.find('legacy', 'old')).toEqual({ playerId: 'old', score: 7, at: 100, position: 1 });
    // Not better under min: unchanged, and the entry is now stored the new way.
    expect(await store.submit('legacy', 'old', { op: 'min', value: 9, at: 200 })).toEqual({ entry: { playerId: 'old', score: 7, at: 100, position: 1 }, changed: false });
    expect(await redis.client.hget(h, 'old')).toBe(`${memberOf(100, 'old').slice(0, 14)}|7`);
    expect(await store.submit('legacy', 'old', { op: 'min', value: 1, at: 300 })).toEqual({ entry: { playerId: 'old', score: 1, at: 300, position: 0 }, changed: true });
    expect(await redis.client.zrange(z, 0, -1)).toEqual([memberOf(300, 'old'), memberOf(90, 'older')]);
    expect(await store.take('legacy', 'older')).toEqual({ playerId: 'older', score: 3, at: 90 });

    // The hash names an entry the sorted set lost (a key evicted on its own): the next write puts it back.
    await redis.client.zrem(z, memberOf(300, 'old'));
    expect(await store.submit('legacy', 'old', { op: 'min', value: 50, at: 400 })).toEqual({ entry: { playerId: 'old', score: 1, at: 300, position: 0 }, changed: false });
    expect(await redis.client.zscore(z, memberOf(300, 'old'))).toBe('1');
  });

  it('keeps the exact score of every entry at the limits of ±(2^53−1)', async () => {
    await store.restore('extremes', async () => [{ playerId: 'low', score: -9007199254740991, at: 1 }], { force: true });
    expect(await store.submit('extremes', 'high', { op: 'set', value: 9007199254740991, at: 2 })).toEqual({ entry: { playerId: 'high', score: 9007199254740991, at: 2, position: 1 }, changed: true });
    // Read back from the hash by the next write (no change under min), not from the sorted set.
    expect((await store.submit('extremes', 'high', { op: 'min', value: 9007199254740991, at: 3 }))?.entry.score).toBe(9007199254740991);
    expect((await store.submit('extremes', 'low', { op: 'add', value: 0, at: 4 }))?.entry.score).toBe(-9007199254740991);
    expect((await store.submit('extremes', 'high', { op: 'add', value: -1, at: 5 }))?.entry.score).toBe(9007199254740990);
  });
});
