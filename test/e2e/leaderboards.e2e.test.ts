// The Leaderboards routes of API.md through the HTTP layer (fastify inject): embedded (in-process sorted sets on PGlite)
// and real (Redis, with region "na" on another Redis database, on PostgreSQL), and on a 3-master Redis Cluster of the
// test's own (REDIS_CLUSTER_NODES; region "na" on a plain Redis), where the boards' sets land on different masters.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createRedisClient, type RedisClient } from '../../src/backends/redis/index.js';
import { readScoreRows } from '../../src/leaderboards/score-rows.js';
import type { SqlKind } from '../helpers/backends.js';
import { adminAuth, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { deleteKeysWithPrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { deleteClusterKeys, PrivateRedisCluster } from '../helpers/redis-cluster.js';

type Setup = 'embedded' | 'redis+postgres' | 'redis-cluster+postgres';
const SETUPS: readonly Setup[] = ['embedded', 'redis+postgres', 'redis-cluster+postgres'];

const MAX = Number.MAX_SAFE_INTEGER;

class TestClock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

describe.each(SETUPS)('leaderboards API, %s', (setup) => {
  const kind: SqlKind = setup === 'embedded' ? 'pglite' : 'postgres';
  const prefix = uniquePrefix();
  const env: Record<string, string> = setup === 'embedded' ? {} : { REDIS_URL: redisUrl(0), REDIS_REGION_URLS: `na=${redisUrl(1)}`, REDIS_KEY_PREFIX: prefix };
  let cluster: PrivateRedisCluster | undefined;
  const clock = new TestClock(Date.UTC(2026, 10, 26, 12, 0, 0));
  let t: TestRealm;
  /** The main store's client (a cluster client on the cluster) and region na's. */
  let redis: RedisClient[] = [];

  const json = { ...auth, 'content-type': 'application/json' };
  const adminJson = { ...adminAuth, 'content-type': 'application/json' };
  const put = (board: string, body: unknown, headers = adminJson, app = t.app) => app.inject({ method: 'PUT', url: `/v1/leaderboards/${board}`, headers, payload: JSON.stringify(body) });
  const submit = (board: string, body: unknown, app = t.app) =>
    app.inject({ method: 'POST', url: `/v1/leaderboards/${board}/scores`, headers: json, payload: typeof body === 'string' ? body : JSON.stringify(body) });
  const get = (url: string, app = t.app, headers: Record<string, string> = auth) => app.inject({ method: 'GET', url, headers });
  const entries = async (url: string, app = t.app) => {
    const res = await get(url, app);
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return (res.json() as { entries: Array<{ rank: number; playerId: string; score: number }> }).entries;
  };
  const deleteRedisKeys = async () => {
    let n = 0;
    for (const client of redis) if (client instanceof Redis) n += await deleteKeysWithPrefix(client, prefix);
    if (cluster) n += await deleteClusterKeys(cluster, prefix);
    return n;
  };

  beforeAll(async () => {
    if (setup === 'redis-cluster+postgres') {
      cluster = await new PrivateRedisCluster().start();
      delete env.REDIS_URL;
      env.REDIS_CLUSTER_NODES = cluster.nodes.join(',');
      const na = createRedisClient(redisUrl(1));
      expect(await connectRedis(na)).toBe(true);
      redis = [await cluster.client(), na];
    } else if (setup !== 'embedded') {
      redis = [createRedisClient(redisUrl(0)), createRedisClient(redisUrl(1))];
      for (const client of redis) expect(await connectRedis(client)).toBe(true);
    }
    t = await startTestRealm(kind, { env, clock });
  });
  afterAll(async () => {
    await t?.close();
    await deleteRedisKeys();
    await Promise.all(redis.map((c) => c.quit()));
    await cluster?.stop();
  });

  it('PUT needs the admin key, is listed with its season, and keeps its scores when replaced', async () => {
    expect((await put('arena', { order: 'desc', operator: 'best' }, json)).statusCode).toBe(403);
    const res = await put('arena', { order: 'desc', operator: 'best' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ board: 'arena', order: 'desc', operator: 'best', reset: 'never', regions: null, stat: null, season: 'all' });
    expect((await submit('arena', { playerId: 'p1', score: 10 })).json()).toEqual({ playerId: 'p1', score: 10, rank: 1 });
    expect((await put('arena', { order: 'desc', operator: 'best', stat: 'kills' })).json()).toMatchObject({ stat: 'kills' });
    expect(await entries('/v1/leaderboards/arena/top')).toEqual([{ rank: 1, playerId: 'p1', score: 10 }]);
    const list = (await get('/v1/leaderboards')).json().leaderboards;
    expect(list).toContainEqual({ board: 'arena', order: 'desc', operator: 'best', reset: 'never', regions: null, stat: 'kills', season: 'all' });
  });

  it('ranks better scores first, and equal scores by who reached them first', async () => {
    await put('duel', { order: 'desc', operator: 'best' });
    expect((await get('/v1/leaderboards/duel/top')).json()).toEqual({ board: 'duel', season: 'all', entries: [] });
    await submit('duel', { playerId: 'zed', score: 50 });
    await submit('duel', { playerId: 'amy', score: 50 });
    await submit('duel', { playerId: 'bob', score: 70 });
    // A re-submission that does not improve keeps zed's original time: zed stays ahead of amy.
    expect((await submit('duel', { playerId: 'zed', score: 50 })).json()).toEqual({ playerId: 'zed', score: 50, rank: 2 });
    expect((await submit('duel', { playerId: 'zed', score: 20 })).json()).toEqual({ playerId: 'zed', score: 50, rank: 2 });
    expect(await entries('/v1/leaderboards/duel/top?limit=10')).toEqual([
      { rank: 1, playerId: 'bob', score: 70 },
      { rank: 2, playerId: 'zed', score: 50 },
      { rank: 3, playerId: 'amy', score: 50 },
    ]);
    expect(await entries('/v1/leaderboards/duel/top?limit=1')).toEqual([{ rank: 1, playerId: 'bob', score: 70 }]);
    expect((await get('/v1/leaderboards/duel/players/amy')).json()).toEqual({ playerId: 'amy', score: 50, rank: 3 });
    // amy improves to 70 after bob: she is behind bob, ahead of zed.
    expect((await submit('duel', { playerId: 'amy', score: 70 })).json()).toEqual({ playerId: 'amy', score: 70, rank: 2 });
    expect((await get('/v1/leaderboards/duel/around/amy?limit=1')).json()).toEqual({
      board: 'duel', season: 'all',
      entries: [{ rank: 1, playerId: 'bob', score: 70 }, { rank: 2, playerId: 'amy', score: 70 }, { rank: 3, playerId: 'zed', score: 50 }],
    });
    expect(await entries('/v1/leaderboards/duel/around/bob?limit=5')).toHaveLength(3);
    expect(await entries('/v1/leaderboards/duel/around/bob?limit=0')).toEqual([{ rank: 1, playerId: 'bob', score: 70 }]);
  });

  it('asc boards, set and incr operators, and exact scores at ±(2^53−1)', async () => {
    await put('speedrun', { order: 'asc', operator: 'set' });
    await submit('speedrun', { playerId: 'slow', score: MAX });
    await submit('speedrun', { playerId: 'fast', score: -MAX });
    await submit('speedrun', { playerId: 'zero', score: 0 });
    expect(await entries('/v1/leaderboards/speedrun/top')).toEqual([
      { rank: 1, playerId: 'fast', score: -MAX },
      { rank: 2, playerId: 'zero', score: 0 },
      { rank: 3, playerId: 'slow', score: MAX },
    ]);
    expect((await submit('speedrun', { playerId: 'fast', score: MAX - 1 })).json()).toEqual({ playerId: 'fast', score: MAX - 1, rank: 2 });

    await put('grind', { order: 'desc', operator: 'incr' });
    expect((await submit('grind', { playerId: 'g', score: MAX - 5 })).json()).toEqual({ playerId: 'g', score: MAX - 5, rank: 1 });
    expect((await submit('grind', { playerId: 'g', score: 5 })).json()).toEqual({ playerId: 'g', score: MAX, rank: 1 });
    const over = await submit('grind', { playerId: 'g', score: 1 });
    expect(over.statusCode).toBe(422);
    expect(over.json().error.code).toBe('rejected');
    expect((await get('/v1/leaderboards/grind/players/g')).json()).toEqual({ playerId: 'g', score: MAX, rank: 1 });
    expect((await submit('grind', { playerId: 'h', score: -MAX })).json()).toEqual({ playerId: 'h', score: -MAX, rank: 2 });
    expect((await submit('grind', { playerId: 'h', score: -1 })).statusCode).toBe(422);
    expect((await submit('grind', { playerId: 'h', score: MAX })).json()).toEqual({ playerId: 'h', score: 0, rank: 2 });
  });

  it('answers every documented error', async () => {
    await put('regional', { order: 'desc', operator: 'best', regions: ['eu', 'na'] });
    const cases: Array<[string, number, () => ReturnType<typeof get>]> = [
      ['unknown board: scores', 404, () => submit('nope', { playerId: 'p', score: 1 })],
      ['unknown board: top', 404, () => get('/v1/leaderboards/nope/top')],
      ['unknown board: player', 404, () => get('/v1/leaderboards/nope/players/p')],
      ['unknown board: around', 404, () => get('/v1/leaderboards/nope/around/p')],
      ['player without a score', 404, () => get('/v1/leaderboards/duel/players/nobody')],
      ['around a player without a score', 404, () => get('/v1/leaderboards/duel/around/nobody')],
      ['player without a score in that region', 404, () => get('/v1/leaderboards/regional/players/nobody?region=eu')],
      ['missing region on a regional board', 400, () => submit('regional', { playerId: 'p', score: 1 })],
      ['unknown region', 400, () => submit('regional', { playerId: 'p', score: 1, region: 'mars' })],
      ['unknown region on a read', 400, () => get('/v1/leaderboards/regional/top?region=mars')],
      ['region on a board without regions', 400, () => submit('duel', { playerId: 'p', score: 1, region: 'eu' })],
      ['region read on a board without regions', 400, () => get('/v1/leaderboards/duel/top?region=eu')],
      ['fractional score', 400, () => submit('duel', { playerId: 'p', score: 1.5 })],
      ['score as a string', 400, () => submit('duel', { playerId: 'p', score: '1' })],
      ['score above 2^53−1', 400, () => submit('duel', '{"playerId":"p","score":9007199254740992}')],
      ['score below −(2^53−1)', 400, () => submit('duel', '{"playerId":"p","score":-9007199254740993}')],
      ['score 1e300', 400, () => submit('duel', '{"playerId":"p","score":1e300}')],
      ['missing score', 400, () => submit('duel', { playerId: 'p' })],
      ['bad player id', 400, () => submit('duel', { playerId: 'bad id', score: 1 })],
      ['unknown field', 400, () => submit('duel', { playerId: 'p', score: 1, extra: 1 })],
      ['limit 0', 400, () => get('/v1/leaderboards/duel/top?limit=0')],
      ['limit 1001', 400, () => get('/v1/leaderboards/duel/top?limit=1001')],
      ['limit text', 400, () => get('/v1/leaderboards/duel/top?limit=ten')],
      ['around limit −1', 400, () => get('/v1/leaderboards/duel/around/bob?limit=-1')],
      ['around limit 1001', 400, () => get('/v1/leaderboards/duel/around/bob?limit=1001')],
      ['bad season', 400, () => get('/v1/leaderboards/duel/top?season=2026-11')],
      ['bad board id', 400, () => get('/v1/leaderboards/bad%20id/top')],
      ['bad definition', 400, () => put('broken', { order: 'sideways', operator: 'best' })],
      ['duplicate regions', 400, () => put('broken', { order: 'desc', operator: 'best', regions: ['eu', 'eu'] })],
      ['unknown definition field', 400, () => put('broken', { order: 'desc', operator: 'best', colour: 'red' })],
    ];
    for (const [name, status, send] of cases) {
      const res = await send();
      expect(res.statusCode, `${name}: ${res.body}`).toBe(status);
      expect(res.json().error.code, name).toBe(status === 404 ? 'not_found' : 'invalid_argument');
    }
    expect((await get('/v1/leaderboards/duel/top', t.app, {})).statusCode).toBe(401);
  });

  it('regions: global top by merge, exact global rank, regional ranks, and a move leaves the old region', async () => {
    await put('realms', { order: 'desc', operator: 'best', regions: ['eu', 'na', 'asia'] });
    const scores: Array<[string, string, number]> = [
      ['e1', 'eu', 90], ['n1', 'na', 95], ['e2', 'eu', 80], ['n2', 'na', 80], ['a1', 'asia', 85], ['e3', 'eu', 70],
    ];
    for (const [playerId, region, score] of scores) expect((await submit('realms', { playerId, region, score })).statusCode).toBe(200);
    expect(await entries('/v1/leaderboards/realms/top?limit=4')).toEqual([
      { rank: 1, playerId: 'n1', score: 95 },
      { rank: 2, playerId: 'e1', score: 90 },
      { rank: 3, playerId: 'a1', score: 85 },
      { rank: 4, playerId: 'e2', score: 80 },
    ]);
    expect((await get('/v1/leaderboards/realms/players/n2')).json()).toEqual({ playerId: 'n2', score: 80, rank: 5 });
    expect((await get('/v1/leaderboards/realms/players/n2?region=na')).json()).toEqual({ playerId: 'n2', score: 80, rank: 2 });
    expect(await entries('/v1/leaderboards/realms/top?region=eu')).toEqual([
      { rank: 1, playerId: 'e1', score: 90 }, { rank: 2, playerId: 'e2', score: 80 }, { rank: 3, playerId: 'e3', score: 70 },
    ]);
    expect(await entries('/v1/leaderboards/realms/around/a1?limit=2')).toEqual([
      { rank: 1, playerId: 'n1', score: 95 }, { rank: 2, playerId: 'e1', score: 90 }, { rank: 3, playerId: 'a1', score: 85 },
      { rank: 4, playerId: 'e2', score: 80 }, { rank: 5, playerId: 'n2', score: 80 },
    ]);
    // e1 moves to na with a worse score: best keeps 90 (and its time), and e1 leaves eu.
    expect((await submit('realms', { playerId: 'e1', region: 'na', score: 10 })).json()).toEqual({ playerId: 'e1', score: 90, rank: 2 });
    expect((await entries('/v1/leaderboards/realms/top?region=eu')).map((e) => e.playerId)).toEqual(['e2', 'e3']);
    expect((await entries('/v1/leaderboards/realms/top?region=na')).map((e) => e.playerId)).toEqual(['n1', 'e1', 'n2']);
    expect((await get('/v1/leaderboards/realms/players/e1?region=eu')).statusCode).toBe(404);
    expect((await get('/v1/leaderboards/realms/players/e1')).json()).toEqual({ playerId: 'e1', score: 90, rank: 2 });
    expect((await entries('/v1/leaderboards/realms/top?limit=1000')).map((e) => e.playerId)).toEqual(['n1', 'e1', 'a1', 'e2', 'n2', 'e3']);
    if (setup !== 'embedded') {
      // REDIS_REGION_URLS put region na on its own Redis (database 1 here); the other regions use REDIS_URL.
      const [main, na] = redis as [RedisClient, RedisClient];
      expect(await na.zcard(`${prefix}lb:{realms|all|na|desc}:z`)).toBe(3);
      expect(await main.exists(`${prefix}lb:{realms|all|na|desc}:z`)).toBe(0);
      expect(await main.zcard(`${prefix}lb:{realms|all|eu|desc}:z`)).toBe(2);
      expect(await na.exists(`${prefix}lb:{realms|all|eu|desc}:z`)).toBe(0);
    }
  });

  it('seasons: a daily board starts a new season at midnight UTC and the finished one stays queryable', async () => {
    await put('daily', { order: 'desc', operator: 'incr', reset: 'daily' });
    await put('weekly', { order: 'desc', operator: 'incr', reset: 'weekly' });
    await put('monthly', { order: 'desc', operator: 'incr', reset: 'monthly' });
    clock.ms = Date.UTC(2026, 10, 30, 23, 59, 59, 999); // Monday of ISO week 49, last day of November
    for (const board of ['daily', 'weekly', 'monthly']) await submit(board, { playerId: 'night-owl', score: 3 });
    expect((await get('/v1/leaderboards/daily/top')).json()).toMatchObject({ season: '2026-11-30', entries: [{ playerId: 'night-owl', score: 3 }] });

    clock.ms = Date.UTC(2026, 11, 1, 0, 0, 0, 0);
    for (const board of ['daily', 'weekly', 'monthly']) await submit(board, { playerId: 'early-bird', score: 1 });
    expect((await get('/v1/leaderboards/daily/top')).json()).toEqual({ board: 'daily', season: '2026-12-01', entries: [{ rank: 1, playerId: 'early-bird', score: 1 }] });
    expect((await get('/v1/leaderboards/daily/top?season=2026-11-30')).json()).toEqual({ board: 'daily', season: '2026-11-30', entries: [{ rank: 1, playerId: 'night-owl', score: 3 }] });
    expect((await get('/v1/leaderboards/daily/players/night-owl')).statusCode).toBe(404);
    expect((await get('/v1/leaderboards/daily/players/night-owl?season=2026-11-30')).json()).toEqual({ playerId: 'night-owl', score: 3, rank: 1 });
    // The ISO week did not change (Monday 30 Nov to Tuesday 1 Dec); the month did.
    expect((await get('/v1/leaderboards/weekly/top')).json()).toMatchObject({ season: '2026-W49', entries: [{ playerId: 'night-owl', score: 3 }, { playerId: 'early-bird', score: 1 }] });
    expect((await get('/v1/leaderboards/monthly/top')).json()).toMatchObject({ season: '2026-12', entries: [{ playerId: 'early-bird' }] });
    expect((await get('/v1/leaderboards/monthly/top?season=2026-11')).json()).toMatchObject({ season: '2026-11', entries: [{ playerId: 'night-owl' }] });
    const list = (await get('/v1/leaderboards')).json().leaderboards as Array<{ board: string; season: string }>;
    expect(list.find((b) => b.board === 'weekly')?.season).toBe('2026-W49');
    expect((await get('/v1/leaderboards/daily/top?season=2026-12-02')).statusCode).toBe(400);
    expect((await get('/v1/leaderboards/daily/top?season=2026-02-30')).statusCode).toBe(400);
    expect((await get('/v1/leaderboards/weekly/top?season=2026-W53')).statusCode).toBe(400);
    expect((await get('/v1/leaderboards/daily/top?season=2025-01-01')).json().entries).toEqual([]);
  });

  it('rebuilds from PostgreSQL after the store lost a board, automatically and on demand, to the same ranks', async () => {
    await put('fragile', { order: 'desc', operator: 'best', regions: ['eu', 'na'] });
    await put('plain', { order: 'asc', operator: 'incr' });
    for (let i = 0; i < 60; i++) {
      await submit('fragile', { playerId: `f${i}`, region: i % 3 === 0 ? 'na' : 'eu', score: i % 7 });
      await submit('plain', { playerId: `p${i}`, score: (i * 13) % 5 });
    }
    await submit('fragile', { playerId: 'f1', region: 'na', score: 6 }); // a move
    const snapshot = async () => ({
      global: await entries('/v1/leaderboards/fragile/top?limit=1000'),
      eu: await entries('/v1/leaderboards/fragile/top?limit=1000&region=eu'),
      na: await entries('/v1/leaderboards/fragile/top?limit=1000&region=na'),
      plain: await entries('/v1/leaderboards/plain/top?limit=1000'),
      around: await entries('/v1/leaderboards/fragile/around/f30?limit=4'),
      player: (await get('/v1/leaderboards/plain/players/p7')).json(),
    });
    const before = await snapshot();
    expect(before.global).toHaveLength(60);
    expect(before.na.map((e) => e.playerId)).toContain('f1');
    expect(before.eu.map((e) => e.playerId)).not.toContain('f1');

    // On demand (admin), with the copies still queued: the rebuild merges them.
    const rebuilt = await t.app.inject({ method: 'POST', url: '/v1/leaderboards/fragile:rebuild', headers: adminAuth });
    expect(rebuilt.statusCode, rebuilt.body).toBe(200);
    expect(rebuilt.json()).toEqual({ board: 'fragile', season: 'all', sets: [{ region: 'eu', entries: before.eu.length }, { region: 'na', entries: before.na.length }] });
    expect((await t.app.inject({ method: 'POST', url: '/v1/leaderboards/fragile:rebuild', headers: auth })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/v1/leaderboards/nope:rebuild', headers: adminAuth })).statusCode).toBe(404);
    expect(await snapshot()).toEqual(before);

    expect(await t.realm.leaderboards.flushCopies()).toBe(true);
    if (setup === 'embedded') {
      // The embedded store lives in the process: a new process on the same data starts empty and rebuilds at start.
      const again = await startTestRealm(kind, { env, clock, cluster: t.cluster });
      try {
        const saved = t;
        t = again;
        try {
          expect(await snapshot()).toEqual(before);
        } finally {
          t = saved;
        }
      } finally {
        await again.close();
      }
    } else {
      // Redis loses everything of ours while the server runs: the next reads rebuild the boards by themselves.
      expect(await deleteRedisKeys()).toBeGreaterThan(0);
      expect(await snapshot()).toEqual(before);
      const metrics = (await get('/metrics', t.app, {})).body;
      expect(metrics).toMatch(/realmstate_leaderboard_rebuilds_total\{trigger="missing"\} [1-9]/);
      // And the next submission lands on the rebuilt board with the right rank.
      expect((await submit('plain', { playerId: 'p7', score: 0 })).json()).toEqual({ ...before.player, score: before.player.score });
    }
  });

  it('keeps PUT-made boards across restarts', async () => {
    await put('durable', { order: 'asc', operator: 'set', reset: 'monthly', regions: ['eu'] });
    const again = await startTestRealm(kind, { env, clock, cluster: t.cluster });
    try {
      const list = (await get('/v1/leaderboards', again.app)).json().leaderboards as Array<{ board: string }>;
      expect(list).toContainEqual({ board: 'durable', order: 'asc', operator: 'set', reset: 'monthly', regions: ['eu'], stat: null, season: '2026-12' });
    } finally {
      await again.close();
    }
  });

  it('writes the durable copy when the server shuts down, and reports the stores in /readyz', async () => {
    const other = await startTestRealm(kind, { env, clock, cluster: t.cluster });
    try {
      await put('shutdown', { order: 'desc', operator: 'set' }, adminJson, other.app);
      for (let i = 0; i < 5; i++) expect((await submit('shutdown', { playerId: `s${i}`, score: i }, other.app)).statusCode).toBe(200);
      const ready = (await get('/readyz', other.app, {})).json();
      expect(ready.backends).toMatchObject(setup === 'embedded' ? { 'shard-0': 'up' } : { redis: 'up', 'redis-na': 'up' });
      if (setup === 'embedded') expect(ready.backends.redis).toBeUndefined();
    } finally {
      await other.close();
    }
    const rows = (await Promise.all(t.cluster.cluster.shards.map((s) => readScoreRows(s, 'shutdown', 'all')))).flat();
    expect(rows.map((r) => [r.playerId, r.score]).sort()).toEqual([['s0', 0], ['s1', 1], ['s2', 2], ['s3', 3], ['s4', 4]]);
  });

  it('serves the routes in the OpenAPI document', async () => {
    const doc = (await get('/openapi.json', t.app, {})).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/v1/leaderboards', '/v1/leaderboards/{board}', '/v1/leaderboards/{board}/scores', '/v1/leaderboards/{board}/top',
      '/v1/leaderboards/{board}/players/{id}', '/v1/leaderboards/{board}/around/{id}', '/v1/leaderboards/{board}:rebuild',
    ]));
  });
});
