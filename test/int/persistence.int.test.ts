// The persistence engine under failure and at random: write-behind flushes that fail lose nothing, an update that
// lands during a flush is kept, snapshots keep the last two, memory evicts only clean players, and for random event
// sequences the served state, the state after a restart and state-at all equal an independent reference fold.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PgCluster } from '../../src/backends/postgres/index.js';
import type { PlayerEvent } from '../../src/players/index.js';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { openTestCluster, PG_ADMIN_URL, pgUrl, SQL_KINDS, uniqueName, type TestCluster } from '../helpers/backends.js';
import { startTestRealm, type TestRealm } from '../helpers/realm.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { seededRandom as mulberry32 } from '../helpers/seeded-random.js';

const HOUR = 3_600_000;
const add = (stat: string, amount: number): PlayerEvent => ({ type: 'stat.add', data: { stat, amount } });
const router = new ShardRouter(SlotMap.even(4));

async function admin<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: database === 'postgres' ? PG_ADMIN_URL : pgUrl(database) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('write-behind when the database refuses', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('keeps rows through a revoked privilege and writes them once it is granted again', async () => {
    const role = uniqueName('rs_role');
    const names = Array.from({ length: 4 }, (_, i) => `${role}_db${i}`);
    await admin('postgres', async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN`);
      for (const n of names) await c.query(`CREATE DATABASE ${n} OWNER ${role}`);
    });
    cleanups.push(() => admin('postgres', async (c) => {
      for (const n of names) await c.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${role}`);
    }));
    const urls = names.map((n) => pgUrl(n).replace('postgres@', `${role}@`));
    const cluster = new PgCluster(urls);
    const t = await startTestRealm('postgres', {
      engine: { writeBehindIntervalMs: HOUR },
      cluster: { cluster, reopen: async () => cluster, urls, databases: names, cleanup: async () => {} },
    });
    cleanups.push(t.close);
    const store = t.realm.players;
    const ids = Array.from({ length: 40 }, (_, i) => `wb-${i}`);
    for (const id of ids) await store.append(id, [add('xp', 1)]);
    expect(store.writeBehind.size).toBe(40);

    for (const n of names) await admin(n, (c) => c.query(`REVOKE INSERT, UPDATE ON players FROM ${role}`));
    expect(await store.writeBehind.flushAll(Date.now() + 300)).toBe(false);
    expect(store.writeBehind.size).toBe(40);
    // Appends keep working (the event log is still writable) and their rows coalesce in the dirty set.
    for (const id of ids) await store.append(id, [add('xp', 2)]);
    expect(store.writeBehind.size).toBe(40);
    expect(await t.app.inject({ method: 'GET', url: '/metrics' }).then((r) => r.body)).toMatch(/realmstate_write_behind_failed_total [1-9]/);

    for (const n of names) await admin(n, (c) => c.query(`GRANT INSERT, UPDATE ON players TO ${role}`));
    expect(await store.writeBehind.flushAll(Date.now() + 10_000)).toBe(true);
    expect(store.writeBehind.size).toBe(0);
    const rows = new Map<string, { seq: number; xp: number }>();
    for (const n of names) {
      for (const r of await admin(n, (c) => c.query<{ player_id: string; seq: string; state: { stats: { xp: number } } }>('SELECT player_id, seq, state FROM players').then((r) => r.rows))) {
        rows.set(r.player_id, { seq: Number(r.seq), xp: r.state.stats.xp });
      }
    }
    for (const id of ids) expect(rows.get(id)).toEqual({ seq: 2, xp: 3 });
  });

  it('keeps rows through a dropped connection and writes them when the shard is back', async () => {
    const tc = await openTestCluster('postgres', 4);
    cleanups.push(tc.cleanup);
    const proxy = await new TcpProxy('127.0.0.1', 5432).start();
    cleanups.push(() => proxy.cut());
    const urls = tc.databases.map((n, i) => (i === 1 ? proxy.url(n) : pgUrl(n)));
    const cluster = new PgCluster(urls);
    const t = await startTestRealm('postgres', { engine: { writeBehindIntervalMs: HOUR }, cluster: { ...tc, cluster, reopen: async () => cluster, urls } });
    cleanups.push(t.close);
    const ids = Array.from({ length: 60 }, (_, i) => `drop-${i}`).filter((id) => router.shardOf(id) === 1);
    for (const id of ids) await t.realm.players.append(id, [add('gold', 5)]);
    await proxy.cut();
    await expect(t.realm.players.writeBehind.flushShard(1)).rejects.toThrow();
    expect(t.realm.players.writeBehind.size).toBe(ids.length);
    await proxy.restore();
    expect(await t.realm.players.writeBehind.flushAll(Date.now() + 10_000)).toBe(true);
    const rows = await admin(tc.databases[1]!, (c) => c.query<{ player_id: string }>('SELECT player_id FROM players').then((r) => r.rows));
    expect(rows.map((r) => r.player_id).sort()).toEqual([...ids].sort());
  });
});

describe.each(SQL_KINDS)('persistence engine on %s', (kind) => {
  let t: TestRealm | undefined;
  const extra: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await t?.close();
    t = undefined;
    for (const c of extra.splice(0).reverse()) await c();
  });

  it('keeps an update that lands while its row is being flushed', async () => {
    t = await startTestRealm(kind, { engine: { writeBehindIntervalMs: HOUR } });
    const store = t.realm.players;
    const id = 'during-flush';
    const shard = t.realm.sql.shards[router.shardOf(id)]!;
    await store.append(id, [add('xp', 1)]);
    // Hold the upsert until a newer append has committed.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inUpsert = new Promise<void>((r) => (entered = r));
    // The upsert runs in the transaction that fences the rows on their slots.
    const original = shard.transaction.bind(shard);
    shard.transaction = ((fn: Parameters<typeof shard.transaction>[0]) =>
      original((tx) =>
        fn({
          query: async (text: string, params?: readonly unknown[]) => {
            if (text.includes('INSERT INTO players')) {
              entered();
              await gate;
            }
            return tx.query(text, params);
          },
        } as typeof tx),
      )) as typeof shard.transaction;
    const flush = store.writeBehind.flushShard(shard.index);
    await inUpsert;
    // PGlite has one connection, which the flush's transaction holds: there the append commits right after it.
    const appended = store.append(id, [add('xp', 10)]);
    if (kind === 'postgres') await appended;
    release();
    await flush;
    await appended;
    shard.transaction = original;
    expect(store.writeBehind.isDirty(shard.index, id)).toBe(true);
    await store.writeBehind.flushAll(Date.now() + 5000);
    const [row] = await shard.query<{ seq: number; state: { stats: { xp: number } } }>('SELECT seq, state FROM players WHERE player_id = $1', [id]);
    expect({ seq: row?.seq, xp: row?.state.stats.xp }).toEqual({ seq: 2, xp: 11 });
  });

  it('snapshots every N events, keeps the last two, and loads from the newest base', async () => {
    t = await startTestRealm(kind, { engine: { snapshotEvery: 10, writeBehindIntervalMs: HOUR } });
    const id = 'snappy';
    for (let i = 0; i < 35; i++) await t.realm.players.append(id, [add('n', 1)]);
    const shard = t.realm.sql.shards[router.shardOf(id)]!;
    const snaps = await shard.query<{ seq: number }>('SELECT seq FROM player_snapshots WHERE player_id = $1 ORDER BY seq', [id]);
    expect(snaps.map((s) => s.seq)).toEqual([20, 30]);
    // A new process with no players row (never flushed) loads snapshot 30 plus events 31..35.
    const tc = t.cluster;
    const second = await startTestRealm(kind, { cluster: tc });
    extra.push(second.close);
    const read = await second.realm.queries.get(id);
    expect(read.state).toMatchObject({ seq: 35, stats: { n: 35 } });
    const metrics = await second.app.inject({ method: 'GET', url: '/metrics' }).then((r) => r.body);
    expect(metrics).toMatch(/realmstate_player_loads_total\{source="snapshot"\} 1/);
  });

  it('evicts only clean players from memory', async () => {
    t = await startTestRealm(kind, { engine: { maxActivePlayers: 3, writeBehindIntervalMs: HOUR } });
    const store = t.realm.players;
    for (let i = 0; i < 10; i++) await store.append(`evict-${i}`, [add('x', 1)]);
    expect(store.activeCount).toBe(10);
    await store.writeBehind.flushAll(Date.now() + 5000);
    expect(store.activeCount).toBe(3);
    const res = await store.append('evict-0', [add('x', 1)]);
    expect(res.state).toMatchObject({ seq: 2, stats: { x: 2 } });
  });

  it('serves, restarts and replays random event sequences exactly as a reference fold', async () => {
    t = await startTestRealm(kind, { engine: { snapshotEvery: 7, writeBehindMaxDirty: 5, maxActivePlayers: 8, batchedFlushMs: 20 } });
    const rng = mulberry32(kind === 'pglite' ? 7 : 11);
    const players = Array.from({ length: 24 }, (_, i) => `rnd-${i}`);
    const accepted = new Map<string, PlayerEvent[]>();
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
    const randomEvent = (): PlayerEvent => {
      const stat = pick(['a', 'b', 'c']);
      const item = pick(['sword', 'potion']);
      switch (pick(['add', 'add', 'set', 'max', 'grant', 'consume', 'dset', 'dunset'] as const)) {
        case 'add': return add(stat, Math.floor(rng() * 21) - 8);
        case 'set': return { type: 'stat.set', data: { stat, value: Math.floor(rng() * 50) } };
        case 'max': return { type: 'stat.max', data: { stat, value: Math.floor(rng() * 50) } };
        case 'grant': return { type: 'item.grant', data: { item, qty: 1 + Math.floor(rng() * 3) } };
        case 'consume': return { type: 'item.consume', data: { item, qty: 1 + Math.floor(rng() * 3) } };
        case 'dset': return { type: 'data.set', data: { key: pick(['k1', 'k2']), value: { v: Math.floor(rng() * 100), tags: ['x'] } } };
        default: return { type: 'data.unset', data: { key: pick(['k1', 'k2']) } };
      }
    };
    let rejected = 0;
    for (let round = 0; round < 600; round++) {
      const id = pick(players);
      const events = Array.from({ length: 1 + Math.floor(rng() * 4) }, randomEvent);
      const durability = rng() < 0.5 ? 'batched' : 'sync';
      const before = accepted.get(id) ?? [];
      const expectedOk = referenceFold(id, [...before, ...events]) !== null;
      try {
        await t.realm.players.append(id, events, { durability });
        expect(expectedOk).toBe(true);
        accepted.set(id, [...before, ...events]);
      } catch (err) {
        expect((err as { code?: string }).code).toBe('rejected');
        expect(expectedOk).toBe(false);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(10);
    await t.realm.players.flush();
    const check = async (realm: TestRealm['realm'], consistency: 'eventual' | 'strong') => {
      for (const [id, events] of accepted) {
        const { state } = await realm.queries.get(id, consistency);
        expect(comparable(state), `${id} ${consistency}`).toEqual(referenceFold(id, events));
      }
    };
    await check(t.realm, 'eventual');
    await check(t.realm, 'strong');
    const restarted = await startTestRealm(kind, { cluster: t.cluster });
    extra.push(restarted.close);
    await check(restarted.realm, 'eventual');
    for (const [id, events] of accepted) {
      for (let k = 0; k < 3; k++) {
        const seq = 1 + Math.floor(rng() * events.length);
        expect(comparable(await restarted.realm.queries.stateAt(id, seq)), `${id}@${seq}`).toEqual(referenceFold(id, events.slice(0, seq)));
      }
    }
  });
});

interface Comparable {
  playerId: string;
  seq: number;
  stats: Record<string, number>;
  items: Record<string, number>;
  data: Record<string, unknown>;
}

const comparable = (s: { playerId: string; seq: number; stats: object; items: object; data: object }): Comparable => ({
  playerId: s.playerId, seq: s.seq, stats: { ...s.stats } as Record<string, number>, items: { ...s.items } as Record<string, number>, data: JSON.parse(JSON.stringify(s.data)),
});

/** An independent, naive fold of the API.md rules; null if some event breaks an invariant. */
function referenceFold(playerId: string, events: readonly PlayerEvent[]): Comparable | null {
  const stats = new Map<string, number>();
  const items = new Map<string, number>();
  const data = new Map<string, unknown>();
  for (const e of events) {
    if (e.type === 'stat.add') {
      const v = (stats.get(e.data.stat) ?? 0) + e.data.amount;
      if (v < 0) return null;
      stats.set(e.data.stat, v);
    } else if (e.type === 'stat.set') {
      if (e.data.value < 0) return null;
      stats.set(e.data.stat, e.data.value);
    } else if (e.type === 'stat.max') {
      if (e.data.value < 0) return null;
      stats.set(e.data.stat, Math.max(stats.get(e.data.stat) ?? 0, e.data.value));
    } else if (e.type === 'item.grant') {
      items.set(e.data.item, (items.get(e.data.item) ?? 0) + e.data.qty);
    } else if (e.type === 'item.consume') {
      const have = items.get(e.data.item) ?? 0;
      if (have < e.data.qty) return null;
      if (have === e.data.qty) items.delete(e.data.item);
      else items.set(e.data.item, have - e.data.qty);
    } else if (e.type === 'data.set') {
      data.set(e.data.key, e.data.value);
    } else if (e.type === 'data.unset') {
      data.delete(e.data.key);
    }
  }
  return { playerId, seq: events.length, stats: Object.fromEntries(stats), items: Object.fromEntries(items), data: Object.fromEntries(data) };
}


export type { TestCluster };
