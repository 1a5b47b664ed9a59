// The leaderboard service against a brute-force model, on both sorted-set adapters: thousands of submissions in a
// known order, on desc and asc boards, with every operator, with and without regions (one region on its own Redis
// database; on `redis-one` every region on the one Redis, where global top N and rank are single union scripts);
// every reply, top N, rank and around-me answer must equal the model's. Halfway, the store loses every
// set, and the answers must stay the same after the automatic rebuild from PostgreSQL.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySortedSets } from '../../src/backends/memory/index.js';
import { RedisSortedSets } from '../../src/backends/redis/index.js';
import type { SortedSetStore } from '../../src/backends/sorted-set-port.js';
import { RejectedError } from '../../src/errors.js';
import { LeaderboardService, type BoardDefinition, type LeaderboardStores } from '../../src/leaderboards/index.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { migrateCluster } from '../../src/backends/postgres/index.js';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { openTestCluster, type TestCluster } from '../helpers/backends.js';
import { deleteKeysWithPrefix, openTestRedis, type TestRedis } from '../helpers/redis.js';
import { seededRandom as rng } from '../helpers/seeded-random.js';

type Kind = 'memory' | 'redis' | 'redis-one';
const KINDS: readonly Kind[] = ['memory', 'redis', 'redis-one'];
const MAX = Number.MAX_SAFE_INTEGER;
const REGIONS = ['eu', 'na', 'asia'] as const;


interface ModelEntry {
  score: number;
  /** Step at which the score last changed: the tie order. */
  since: number;
  region: string | null;
}

/** The brute-force board: a map, sorted on every question. */
class ModelBoard {
  readonly entries = new Map<string, ModelEntry>();
  constructor(readonly def: BoardDefinition) {}

  /** Applies a submission; returns the stored score, or 'rejected' for an incr leaving the range. */
  submit(playerId: string, value: number, region: string | null, step: number): number | 'rejected' {
    const old = this.entries.get(playerId);
    let score: number;
    if (this.def.operator === 'set' || !old) score = this.def.operator === 'incr' ? (old?.score ?? 0) + value : value;
    else if (this.def.operator === 'best') score = this.def.order === 'desc' ? Math.max(old.score, value) : Math.min(old.score, value);
    else score = old.score + value;
    if (Math.abs(score) > MAX) return 'rejected';
    const changed = !old || old.score !== score;
    this.entries.set(playerId, { score, since: changed ? step : (old as ModelEntry).since, region });
    return score;
  }

  ranking(region?: string): Array<{ playerId: string; score: number }> {
    const better = (a: ModelEntry, b: ModelEntry) => (a.score !== b.score ? (this.def.order === 'desc' ? b.score - a.score : a.score - b.score) : a.since - b.since);
    return [...this.entries]
      .filter(([, e]) => region === undefined || e.region === region)
      .sort(([, a], [, b]) => better(a, b))
      .map(([playerId, e]) => ({ playerId, score: e.score }));
  }

  top(limit: number, region?: string) {
    return this.ranking(region).slice(0, limit).map((e, i) => ({ rank: i + 1, ...e }));
  }

  rank(playerId: string, region?: string) {
    const all = this.ranking(region);
    const i = all.findIndex((e) => e.playerId === playerId);
    return i < 0 ? undefined : { playerId, score: (all[i] as { score: number }).score, rank: i + 1 };
  }

  around(playerId: string, limit: number, region?: string) {
    const all = this.ranking(region).map((e, i) => ({ rank: i + 1, ...e }));
    const i = all.findIndex((e) => e.playerId === playerId);
    return i < 0 ? undefined : all.slice(Math.max(0, i - limit), i + limit + 1);
  }
}

describe.each(KINDS)('leaderboards against a brute-force model on %s', (kind) => {
  let cluster: TestCluster;
  let redis: TestRedis[] = [];
  let stores: LeaderboardStores;
  let service: LeaderboardService;
  const clock = { ms: Date.UTC(2026, 10, 26), now() { return this.ms; } };

  beforeAll(async () => {
    cluster = await openTestCluster('pglite', 2);
    await migrateCluster(cluster.cluster);
    if (kind === 'redis') {
      const main = await openTestRedis();
      const second = await openTestRedis({ db: 1, prefix: main.prefix });
      redis = [main, second];
      const other = new RedisSortedSets(second.client, { keyPrefix: main.prefix, label: 'redis-na' });
      stores = { default: new RedisSortedSets(main.client, { keyPrefix: main.prefix }), regions: { na: other } };
    } else if (kind === 'redis-one') {
      const main = await openTestRedis();
      redis = [main];
      const store = new RedisSortedSets(main.client, { keyPrefix: main.prefix });
      expect(store.rangeUnion && store.findInUnion, 'a single-node Redis store reads regions as one').toBeDefined();
      stores = { default: store };
    } else {
      stores = { default: new MemorySortedSets(), regions: { na: new MemorySortedSets() } };
    }
    service = new LeaderboardService({
      stores, sql: cluster.cluster, router: new ShardRouter(SlotMap.even(2)), metrics: new Metrics(), log: silentLogger, clock,
      copy: { intervalMs: 50, chunkSize: 97 },
    });
    await service.start();
  });
  afterAll(async () => {
    await service?.close();
    for (const r of redis) await r.cleanup();
    await cluster?.cleanup();
  });

  /** What a store that restarted empty looks like: every set and marker gone. */
  async function loseEverything(): Promise<void> {
    if (kind !== 'memory') {
      for (const r of redis) await deleteKeysWithPrefix(r.client as Redis, r.prefix);
      return;
    }
    // The in-process stores hold no other data: replace them by dropping each set the model could have used.
    for (const store of [stores.default, ...Object.values(stores.regions ?? {})] as SortedSetStore[]) {
      for (const def of boardDefs) for (const region of ['', ...REGIONS]) await store.drop(`${def.id}|all|${region}|${def.order}`);
    }
  }

  const boardDefs: Array<BoardDefinition & { id: string }> = [];
  for (const order of ['desc', 'asc'] as const) {
    for (const operator of ['best', 'set', 'incr'] as const) {
      boardDefs.push({ id: `${order}-${operator}`, order, operator, reset: 'never' });
      boardDefs.push({ id: `${order}-${operator}-regional`, order, operator, reset: 'never', regions: [...REGIONS] });
    }
  }

  it('answers exactly like the model through thousands of submissions, a region move now and then, and a lost store', async () => {
    const random = rng(kind === 'memory' ? 1126 : kind === 'redis' ? 2026 : 2911);
    const models = new Map<string, ModelBoard>();
    for (const { id, ...def } of boardDefs) {
      await service.define(id, def);
      models.set(id, new ModelBoard(def));
    }
    const players = Array.from({ length: 40 }, (_, i) => `player-${i}`);
    const home = new Map(players.map((p) => [p, REGIONS[Math.floor(random() * REGIONS.length)] as string]));
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const STEPS = 3600;
    let rejected = 0;
    let moves = 0;

    const check = async (id: string) => {
      const model = models.get(id) as ModelBoard;
      const regional = model.def.regions !== undefined;
      for (const limit of [1, 3, 10, 1000]) expect(await service.top(id, { limit }), `${id} top ${limit}`).toEqual({ board: id, season: 'all', entries: model.top(limit) });
      if (regional) for (const region of REGIONS) expect((await service.top(id, { limit: 1000, region })).entries, `${id} top ${region}`).toEqual(model.top(1000, region));
      for (const playerId of [pick(players), pick(players), pick(players)]) {
        const want = model.rank(playerId);
        if (!want) {
          await expect(service.player(id, playerId)).rejects.toMatchObject({ code: 'not_found' });
          continue;
        }
        expect(await service.player(id, playerId), `${id} rank of ${playerId}`).toEqual(want);
        const limit = Math.floor(random() * 6);
        expect((await service.around(id, playerId, { limit })).entries, `${id} around ${playerId} ±${limit}`).toEqual(model.around(playerId, limit));
        if (regional) {
          const region = model.entries.get(playerId)?.region as string;
          expect(await service.player(id, playerId, { region })).toEqual(model.rank(playerId, region));
          expect((await service.around(id, playerId, { limit, region })).entries).toEqual(model.around(playerId, limit, region));
        }
      }
    };

    for (let step = 1; step <= STEPS; step++) {
      const def = pick(boardDefs);
      const model = models.get(def.id) as ModelBoard;
      const playerId = pick(players);
      // Few distinct values so ties are common; now and then a huge one so incr can leave the range.
      let value = Math.floor(random() * 11) - 5;
      if (random() < 0.02) value = (random() < 0.5 ? -1 : 1) * (MAX - Math.floor(random() * 3));
      let region: string | undefined;
      if (def.regions) {
        if (random() < 0.05) home.set(playerId, pick(REGIONS));
        region = home.get(playerId) as string;
        if (model.entries.has(playerId) && model.entries.get(playerId)?.region !== region) moves++;
      }
      if (random() < 0.5) clock.ms += 1;
      const want = model.submit(playerId, value, region ?? null, step);
      if (want === 'rejected') {
        rejected++;
        await expect(service.submit(def.id, { playerId, score: value, region })).rejects.toBeInstanceOf(RejectedError);
      } else {
        const got = await service.submit(def.id, { playerId, score: value, region });
        expect(got, `step ${step} ${def.id} ${playerId} ${value}`).toEqual(model.rank(playerId) ?? {});
        expect(got.score).toBe(want);
      }
      if (step % 150 === 0) await check(def.id);
      if (step === STEPS / 2) {
        await loseEverything();
        for (const d of boardDefs) await check(d.id);
      }
    }
    for (const d of boardDefs) await check(d.id);
    expect(rejected).toBeGreaterThan(0);
    expect(moves).toBeGreaterThan(10);
    expect(await service.flushCopies()).toBe(true);
    expect(service.pendingCopies).toBe(0);
  });
});
