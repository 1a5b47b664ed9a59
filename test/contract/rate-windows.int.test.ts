// One contract for both rate-window stores (anti-cheat's statRate and eventRate): in process and Redis.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRateWindows } from '../../src/backends/memory/memory-rate-windows.js';
import type { RateWindowStore } from '../../src/backends/rate-window-port.js';
import { connectRedis, createRedisClient, type RedisClient } from '../../src/backends/redis/redis-client.js';
import { RedisRateWindows } from '../../src/backends/redis/redis-rate-windows.js';
import { deleteKeys, REDIS_TEST_URL, uniquePrefix } from '../helpers/redis.js';

const factories: Record<string, () => Promise<{ store: RateWindowStore; cleanup: () => Promise<void>; redis?: { client: RedisClient; prefix: string } }>> = {
  memory: async () => {
    const store = new MemoryRateWindows();
    return { store, cleanup: () => store.close() };
  },
  redis: async () => {
    const prefix = uniquePrefix();
    const client = createRedisClient(REDIS_TEST_URL);
    await connectRedis(client);
    const store = new RedisRateWindows(client, prefix, 'test');
    return { store, redis: { client, prefix }, cleanup: async () => { await deleteKeys(prefix); await store.close(); client.disconnect(); } };
  },
};

describe.each(Object.keys(factories))('rate windows contract: %s', (kind) => {
  let h: Awaited<ReturnType<(typeof factories)[string]>> | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });
  const add = (key: string, amount: number, enforce: boolean, limit = 10, windowMs = 1000) => ({ key, windowMs, limit, amount, enforce });

  it('adds up to the limit, refuses past it when enforcing, and adds anyway when not', async () => {
    h = await factories[kind]!();
    const t0 = 1_000_000;
    expect(await h.store.add(add('a', 6, true), t0)).toMatchObject({ added: true, before: 0 });
    expect(await h.store.add(add('a', 4, true), t0 + 1)).toMatchObject({ added: true, before: 6 });
    expect(await h.store.add(add('a', 1, true), t0 + 2)).toMatchObject({ added: false, before: 10 });
    // A refused amount is not counted.
    expect(await h.store.add(add('a', 1, false), t0 + 3)).toMatchObject({ added: true, before: 10 });
    expect(await h.store.add(add('a', 1, false), t0 + 4)).toMatchObject({ added: true, before: 11 });
    // Keys are independent.
    expect(await h.store.add(add('b', 10, true), t0 + 5)).toMatchObject({ added: true, before: 0 });
  });

  it('slides: amounts leave the window once it has passed them, and undo takes one back', async () => {
    h = await factories[kind]!();
    const t0 = 2_000_000;
    await h.store.add(add('w', 5, true), t0);
    const second = await h.store.add(add('w', 5, true), t0 + 500);
    expect(second.before).toBe(5);
    // At t0 + 1000 the first amount has left (the window is (now − 1000, now]).
    expect(await h.store.add(add('w', 1, false), t0 + 1000)).toMatchObject({ before: 5 });
    await second.undo();
    expect(await h.store.add(add('w', 9, true), t0 + 1001)).toMatchObject({ added: true, before: 1 });
    expect((await h.store.add(add('w', 1, true), t0 + 1002)).added).toBe(false);
    // At t0 + 2000 the amount of t0 + 1000 has left, the one of t0 + 1001 not yet.
    expect(await h.store.add(add('w', 1, true), t0 + 2000)).toMatchObject({ added: true, before: 9 });
  });

  it('adds several windows at once exactly as one by one, outcomes in order, each undoable', async () => {
    h = await factories[kind]!();
    const t0 = 3_000_000;
    await h.store.add(add('full', 10, true), t0);
    const outcomes = await h.store.addAll([add('x', 3, true), add('full', 1, true), add('y', 4, false, 2), add('x', 2, true)], t0 + 1);
    expect(outcomes.map((o) => ({ added: o.added, before: o.before }))).toEqual([
      { added: true, before: 0 },
      { added: false, before: 10 },
      { added: true, before: 0 },
      { added: true, before: 3 },
    ]);
    // What one by one would say next, and undo of one of them.
    await (outcomes[3] as { undo: () => Promise<void> }).undo();
    expect(await h.store.add(add('x', 1, false), t0 + 2)).toMatchObject({ before: 3 });
    expect(await h.store.add(add('y', 1, false, 2), t0 + 2)).toMatchObject({ before: 4 });
    expect(await h.store.addAll([], t0 + 3)).toEqual([]);
  });

  it.runIf(kind === 'redis')('reads the sum from the members again when its running figures do not match the window', async () => {
    h = await factories[kind]!();
    const { client, prefix } = h.redis as { client: RedisClient; prefix: string };
    const t0 = 4_000_000;
    // A window written by an earlier version: members only, no running figures.
    await client.zadd(`${prefix}ac:window:{old}`, t0, '3:a', t0 + 1, '4:b');
    expect(await h.store.add(add('old', 1, false, 100, 10_000), t0 + 2)).toMatchObject({ added: true, before: 7 });
    expect(await h.store.add(add('old', 1, false, 100, 10_000), t0 + 3)).toMatchObject({ before: 8 });
    // Someone else removed a member behind the figures' back: the count no longer matches, the sum is re-read.
    await client.zrem(`${prefix}ac:window:{old}`, '4:b');
    expect(await h.store.add(add('old', 1, false, 100, 10_000), t0 + 4)).toMatchObject({ before: 5 });
    // Expiry through the running figures: 3:a (t0) and the amounts of t0 + 2, t0 + 3 leave at t0 + 10,003.
    expect(await h.store.add(add('old', 1, false, 100, 10_000), t0 + 10_003)).toMatchObject({ before: 1 });
  });
});
