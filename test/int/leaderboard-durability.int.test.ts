// The leaderboards' durable copy and availability: exact rows in PostgreSQL (and PGlite), no accepted score lost
// while PostgreSQL is down, forced rebuilds racing submissions, and Redis down meaning 503, not a wrong answer.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySortedSets } from '../../src/backends/memory/index.js';
import { migrateCluster, PgCluster, type SqlCluster } from '../../src/backends/postgres/index.js';
import { connectRedis, createRedisClient, RedisSortedSets } from '../../src/backends/redis/index.js';
import { MAX_SCORE, type SortedSetStore } from '../../src/backends/sorted-set-port.js';
import { UnavailableError } from '../../src/errors.js';
import { LeaderboardService } from '../../src/leaderboards/index.js';
import { readScoreRows, upsertScoreRows } from '../../src/leaderboards/score-rows.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { openTestCluster, SQL_KINDS, type TestCluster } from '../helpers/backends.js';
import { openTestRedis, type TestRedis } from '../helpers/redis.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const service = (sql: SqlCluster, store: SortedSetStore, intervalMs = 20) =>
  new LeaderboardService({
    stores: { default: store }, sql, router: new ShardRouter(SlotMap.even(sql.shards.length)), metrics: new Metrics(), log: silentLogger,
    copy: { intervalMs }, shutdownTimeoutMs: 2000,
  });

describe.each(SQL_KINDS)('leaderboard rows on %s', (kind) => {
  let tc: TestCluster;
  beforeAll(async () => {
    tc = await openTestCluster(kind, 1);
    await migrateCluster(tc.cluster);
  });
  afterAll(async () => tc.cleanup());

  it('keeps scores and achieved-at microseconds exact, and never moves a row back in time', async () => {
    const db = tc.cluster.shards[0]!;
    const rows = [
      { board: 'b', season: 'all', playerId: 'max', region: null, score: MAX_SCORE, at: 2 ** 53 - 1 },
      { board: 'b', season: 'all', playerId: 'min', region: 'eu', score: -MAX_SCORE, at: 0 },
      { board: 'b', season: 'all', playerId: 'now', region: 'na', score: 0, at: Date.UTC(2026, 10, 26) * 1000 + 999_999 },
      { board: 'b', season: 'all', playerId: 'odd', region: null, score: 2 ** 52 + 1, at: 1_764_115_200_123_457 },
    ];
    await upsertScoreRows(db, rows);
    const read = async () => (await readScoreRows(db, 'b', 'all')).sort((a, b) => a.playerId.localeCompare(b.playerId));
    expect(await read()).toEqual([...rows].sort((a, b) => a.playerId.localeCompare(b.playerId)));
    // An older copy arriving late does not overwrite; a newer one (or the same time, e.g. a region move) does.
    await upsertScoreRows(db, [{ ...rows[2]!, score: 5, at: rows[2]!.at - 1 }, { ...rows[3]!, region: 'eu' }]);
    const after = await read();
    expect(after.find((r) => r.playerId === 'now')).toEqual(rows[2]);
    expect(after.find((r) => r.playerId === 'odd')).toEqual({ ...rows[3], region: 'eu' });
    expect(await readScoreRows(db, 'b', 'other')).toEqual([]);
  });
});

describe('leaderboards while PostgreSQL is down', () => {
  let tc: TestCluster;
  let proxy: TcpProxy;
  let cluster: PgCluster;
  let lb: LeaderboardService;

  beforeAll(async () => {
    tc = await openTestCluster('postgres', 2);
    await migrateCluster(tc.cluster);
    proxy = await new TcpProxy('127.0.0.1', 5432).start();
    cluster = new PgCluster(tc.databases.map((d) => proxy.url(d)));
    lb = service(cluster, new MemorySortedSets());
    await lb.start();
  });
  afterAll(async () => {
    await lb?.close();
    await proxy?.restore();
    await cluster?.close();
    await proxy?.cut();
    await tc?.cleanup();
  });

  it('keeps accepting scores, retries the copy, and loses none of them', async () => {
    await lb.define('siege', { order: 'desc', operator: 'incr', reset: 'never' });
    // The board's set must exist before: a set the store does not have yet is (re)built from PostgreSQL first.
    await lb.submit('siege', { playerId: 'p0', score: 0 });
    await proxy.cut();
    for (let i = 0; i < 40; i++) await lb.submit('siege', { playerId: `p${i % 10}`, score: i });
    expect((await lb.top('siege', { limit: 3 })).entries.map((e) => e.playerId)).toEqual(['p9', 'p8', 'p7']);
    expect(lb.pendingCopies).toBe(10);
    expect(await lb.flushCopies(300)).toBe(false);
    expect(lb.pendingCopies).toBe(10);
    await proxy.restore();
    expect(await lb.flushCopies(10_000)).toBe(true);
    expect(lb.pendingCopies).toBe(0);
    const rows = (await Promise.all(tc.cluster.shards.map((s) => readScoreRows(s, 'siege', 'all')))).flat();
    const expected = new Map(Array.from({ length: 10 }, (_, p) => [`p${p}`, [0, 1, 2, 3].reduce((n, k) => n + p + 10 * k, 0)]));
    expect(new Map(rows.map((r) => [r.playerId, r.score]))).toEqual(expected);
    // Each row sits on its player's shard.
    const router = new ShardRouter(SlotMap.even(2));
    for (const [i, shard] of tc.cluster.shards.entries()) {
      for (const r of await readScoreRows(shard, 'siege', 'all')) expect(router.shardOf(r.playerId)).toBe(i);
    }
  });
});

describe.each(['memory', 'redis'] as const)('forced rebuilds racing submissions on %s', (kind) => {
  let tc: TestCluster;
  let redis: TestRedis | undefined;
  let lb: LeaderboardService;

  beforeAll(async () => {
    tc = await openTestCluster('pglite', 2);
    await migrateCluster(tc.cluster);
    let store: SortedSetStore = new MemorySortedSets();
    if (kind === 'redis') {
      redis = await openTestRedis();
      store = new RedisSortedSets(redis.client, { keyPrefix: redis.prefix });
    }
    lb = service(tc.cluster, store, 5);
    await lb.start();
  });
  afterAll(async () => {
    await lb?.close();
    await redis?.cleanup();
    await tc?.cleanup();
  });

  it('loses no submission and leaves the store equal to PostgreSQL', async () => {
    await lb.define('race', { order: 'desc', operator: 'incr', reset: 'never', regions: ['eu', 'na'] });
    await lb.define('race-plain', { order: 'asc', operator: 'incr', reset: 'never' });
    // Sets in use already, so the writes below do not all start by waiting for the sets' first build.
    await lb.submit('race', { playerId: 'r0', score: 0, region: 'na' });
    await lb.submit('race-plain', { playerId: 'r0', score: 0 });
    const expected = new Map<string, number>();
    const finished: string[] = [];
    const submissions: Array<Promise<unknown>> = [];
    for (let i = 0; i < 600; i++) {
      const playerId = `r${i % 37}`;
      // Players hop between regions all the time, several writes of one player in flight at once.
      const region = i % 5 === 0 ? 'na' : 'eu';
      expected.set(playerId, (expected.get(playerId) ?? 0) + (i % 11));
      submissions.push(lb.submit('race', { playerId, score: i % 11, region }).then(() => finished.push('write')));
      submissions.push(lb.submit('race-plain', { playerId, score: i % 11 }).then(() => finished.push('write')));
      // Waves of writes (each player twice, in both regions) with a pause between, so rebuilds run among them.
      if (i % 74 === 73) await new Promise((resolve) => setTimeout(resolve, 1));
      if (i % 150 === 75) {
        submissions.push(lb.rebuild('race').then(() => finished.push('rebuild')));
        submissions.push(lb.rebuild('race-plain').then(() => finished.push('rebuild')));
      }
    }
    await Promise.all(submissions);
    // The rebuilds really ran among the writes.
    expect(finished.indexOf('rebuild')).toBeGreaterThan(0);
    expect(finished.lastIndexOf('write')).toBeGreaterThan(finished.indexOf('rebuild'));
    for (const board of ['race', 'race-plain']) {
      const page = await lb.top(board, { limit: 1000 });
      expect(new Map(page.entries.map((e) => [e.playerId, e.score])), board).toEqual(expected);
      expect(await lb.flushCopies()).toBe(true);
      await lb.rebuild(board);
      expect(await lb.top(board, { limit: 1000 }), board).toEqual(page);
    }
    expect((await lb.top('race', { limit: 1000, region: 'eu' })).entries.length + (await lb.top('race', { limit: 1000, region: 'na' })).entries.length).toBe(37);
  });
});

describe('leaderboards while Redis is down', () => {
  let tc: TestCluster;
  let proxy: TcpProxy;
  let client: Redis;
  let redis: TestRedis;
  let lb: LeaderboardService;

  beforeAll(async () => {
    tc = await openTestCluster('pglite', 1);
    await migrateCluster(tc.cluster);
    redis = await openTestRedis();
    proxy = await new TcpProxy('127.0.0.1', 6379).start();
    client = createRedisClient(`redis://127.0.0.1:${proxy.port}`);
    expect(await connectRedis(client)).toBe(true);
    lb = service(tc.cluster, new RedisSortedSets(client, { keyPrefix: redis.prefix }));
    await lb.start();
  });
  afterAll(async () => {
    await lb?.close();
    client?.disconnect();
    await proxy?.cut();
    await redis?.cleanup();
    await tc?.cleanup();
  });

  it('answers 503 (UnavailableError) fast, then works again once Redis is back', async () => {
    await lb.define('fragile', { order: 'asc', operator: 'best', reset: 'never' });
    expect(await lb.submit('fragile', { playerId: 'a', score: 5 })).toEqual({ playerId: 'a', score: 5, rank: 1 });
    await proxy.cut();
    await expect(lb.submit('fragile', { playerId: 'b', score: 1 })).rejects.toBeInstanceOf(UnavailableError);
    await expect(lb.top('fragile', { limit: 10 })).rejects.toBeInstanceOf(UnavailableError);
    await proxy.restore();
    expect(await connectRedis(client, 10_000)).toBe(true);
    expect(await lb.submit('fragile', { playerId: 'b', score: 1 })).toEqual({ playerId: 'b', score: 1, rank: 1 });
    expect((await lb.top('fragile', { limit: 10 })).entries).toEqual([{ rank: 1, playerId: 'b', score: 1 }, { rank: 2, playerId: 'a', score: 5 }]);
  });
});
