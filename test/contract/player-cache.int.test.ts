// One contract for both player caches: the in-process LRU and Redis (one server, and a 3-master Redis Cluster of the
// test's own, where the players' keys are spread over the masters).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemoryPlayerCache } from '../../src/backends/memory/memory-player-cache.js';
import type { PlayerCache } from '../../src/backends/player-cache.js';
import { createRedisClient, connectRedis } from '../../src/backends/redis/redis-client.js';
import { RedisPlayerCache } from '../../src/backends/redis/redis-player-cache.js';
import { deleteKeys, REDIS_TEST_URL as REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { deleteClusterKeys, PrivateRedisCluster } from '../helpers/redis-cluster.js';

/** Started by the first test that needs it, shared by the file. */
let cluster: Promise<PrivateRedisCluster> | undefined;
afterAll(async () => (await cluster)?.stop());

const factories: Record<string, () => Promise<{ cache: PlayerCache; cleanup: () => Promise<void> }>> = {
  memory: async () => {
    const cache = new MemoryPlayerCache({ maxEntries: 1000, ttlMs: 60_000 });
    return { cache, cleanup: () => cache.close() };
  },
  redis: async () => {
    const prefix = uniquePrefix();
    const client = createRedisClient(REDIS_URL);
    await connectRedis(client);
    const cache = new RedisPlayerCache(client, { keyPrefix: prefix, ttlMs: 60_000, ownsClient: true });
    return { cache, cleanup: async () => { await deleteKeys(prefix); await cache.close(); } };
  },
  'redis-cluster': async () => {
    const c = await (cluster ??= new PrivateRedisCluster().start());
    const prefix = uniquePrefix();
    const cache = new RedisPlayerCache(await c.client(), { keyPrefix: prefix, ttlMs: 60_000, ownsClient: true });
    return { cache, cleanup: async () => { await deleteClusterKeys(c, prefix); await cache.close(); } };
  },
};

const entry = (playerId: string, seq: number) => ({ playerId, seq, json: JSON.stringify({ playerId, seq, stats: { note: 'a:b "c"' } }) });

describe.each(Object.keys(factories))('player cache contract: %s', (kind) => {
  let h: Awaited<ReturnType<(typeof factories)[string]>> | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('stores and returns entries, and reports misses by absence', async () => {
    h = await factories[kind]!();
    await h.cache.setIfNewer([entry('p1', 3), entry('p:2', 1)]);
    const got = await h.cache.getMany(['p1', 'p:2', 'nobody']);
    expect([...got.keys()].sort()).toEqual(['p1', 'p:2']);
    expect(got.get('p1')).toEqual({ seq: 3, json: entry('p1', 3).json });
    expect(JSON.parse(got.get('p:2')!.json)).toMatchObject({ playerId: 'p:2', stats: { note: 'a:b "c"' } });
  });

  it('never goes back to an older or equal seq, whatever the order of writes', async () => {
    h = await factories[kind]!();
    await h.cache.setIfNewer([entry('p', 5)]);
    await h.cache.setIfNewer([entry('p', 4)]);
    await h.cache.setIfNewer([{ ...entry('p', 5), json: '"other"' }]);
    expect((await h.cache.getMany(['p'])).get('p')).toEqual({ seq: 5, json: entry('p', 5).json });
    await h.cache.setIfNewer([entry('p', 7), entry('q', 1), entry('p', 6)]);
    expect((await h.cache.getMany(['p'])).get('p')?.seq).toBe(7);
    // Concurrent writers: the highest seq wins.
    await Promise.all(Array.from({ length: 50 }, (_, i) => h!.cache.setIfNewer([entry('r', (i * 37) % 50)])));
    expect((await h.cache.getMany(['r'])).get('r')?.seq).toBe(49);
  });

  it('reads and writes many players at once (on a cluster: keys on every master)', async () => {
    h = await factories[kind]!();
    const ids = Array.from({ length: 200 }, (_, i) => `many-${i}`);
    await h.cache.setIfNewer(ids.map((id, i) => entry(id, i + 1)));
    await h.cache.setIfNewer(ids.map((id) => entry(id, 1)));
    const got = await h.cache.getMany([...ids, 'nobody']);
    expect(got.size).toBe(200);
    ids.forEach((id, i) => expect(got.get(id)?.seq).toBe(i + 1));
  });

  it('says whether other processes share it', async () => {
    h = await factories[kind]!();
    expect(h.cache.shared).toBe(kind !== 'memory');
    await h.cache.ping();
  });
});
