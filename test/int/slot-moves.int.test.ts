// Slot moves while the game runs, in one process: a rebalance from 4 to 5 shards under load and a drain back,
// with the books: every acknowledged event once, each player's state the fold of its log, its rows on exactly the
// shard the map names, and the shards within one slot of an even share.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateCluster, PgCluster, PgliteCluster, type SqlCluster } from '../../src/backends/postgres/index.js';
import { readEvents } from '../../src/events/event-log.js';
import { silentLogger } from '../../src/log.js';
import { replay } from '../../src/players/reducers.js';
import { createRealm, type Realm } from '../../src/realm.js';
import { loadSettings } from '../../src/settings.js';
import { loadSlotMap } from '../../src/sharding/index.js';
import { createDatabases, sharedPgliteDb, SQL_KINDS, uniqueName, type SqlKind } from '../helpers/backends.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function growable(kind: SqlKind, most: number): Promise<(n: number) => Promise<SqlCluster>> {
  if (kind === 'postgres') {
    const dbs = await createDatabases(most);
    cleanups.push(dbs.drop);
    return async (n) => new PgCluster(dbs.urls.slice(0, n));
  }
  const db = await sharedPgliteDb();
  const prefix = `${uniqueName('mv')}_`;
  cleanups.push(async () => {
    for (let i = 0; i < most; i++) await db.exec(`DROP SCHEMA IF EXISTS ${prefix}shard_${i} CASCADE`);
  });
  return (n) => PgliteCluster.attach(db, n, { schemaPrefix: prefix });
}

async function startRealm(sql: SqlCluster): Promise<Realm> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rs-moves-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const settings = loadSettings({ REALMSTATE_DATA_DIR: dataDir, REALMSTATE_API_KEY: 'k'.repeat(24), REALMSTATE_ADMIN_KEY: 'a'.repeat(24), LOG_LEVEL: 'silent', REALMSTATE_SHARDS: String(sql.shards.length) });
  const realm = await createRealm({ settings, logger: silentLogger, sql, processMetrics: false });
  return realm;
}

/** Appends to a few players from several workers (sync and batched), recording every acknowledged token. */
class Load {
  readonly acked = new Map<string, { playerId: string; seq: number }>();
  readonly failures: unknown[] = [];
  /** Reads older than a write acknowledged before they began, or older than an earlier read of the same player. */
  readonly backwards: string[] = [];
  private running = true;
  private readonly workers: Array<Promise<void>>;
  readonly players: string[];
  private readonly highest = new Map<string, number>();

  constructor(private readonly realm: Realm, prefix: string, players = 60, workers = 8) {
    this.players = Array.from({ length: players }, (_, i) => `${prefix}-${i}`);
    this.workers = [...Array.from({ length: workers }, (_, w) => this.work(w)), this.read()];
  }

  /** Reads the players in turn while they are written and their slots move: a player's seq never goes back. */
  private async read(): Promise<void> {
    const seen = new Map<string, number>();
    for (let i = 0; this.running; i++) {
      const playerId = this.players[i % this.players.length] as string;
      const floor = Math.max(this.highest.get(playerId) ?? 0, seen.get(playerId) ?? 0);
      try {
        const { seq } = await this.realm.queries.get(playerId);
        if (seq < floor) this.backwards.push(`${playerId}: read ${seq}, after ${floor}`);
        seen.set(playerId, Math.max(seq, seen.get(playerId) ?? 0));
      } catch (err) {
        if ((err as { code?: string }).code !== 'not_found') this.failures.push(err);
      }
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
  }

  private async work(w: number): Promise<void> {
    for (let i = 0; this.running; i++) {
      const playerId = this.players[(w * 31 + i * 7) % this.players.length] as string;
      const token = `${w}-${i}`;
      try {
        const r = await this.realm.players.append(playerId, [{ type: 'stat.add', data: { stat: 'n', amount: 1 } }, { type: 'data.set', data: { key: 'token', value: token } }], { durability: i % 3 === 0 ? 'batched' : 'sync' });
        this.acked.set(token, { playerId, seq: r.seq });
        this.highest.set(playerId, Math.max(this.highest.get(playerId) ?? 0, r.seq));
      } catch (err) {
        this.failures.push(err);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }
}

async function checkBooks(realm: Realm, load: Load): Promise<void> {
  expect(await realm.players.flush()).toBe(true);
  const { map, ids } = await loadSlotMap(realm.sql);
  const seen = new Map<string, number>();
  for (const playerId of load.players) {
    const owner = map.shardOfSlot((await import('../../src/sharding/index.js')).slotOf(playerId));
    let holders = 0;
    for (const [i, shard] of realm.sql.shards.entries()) {
      const tables = ['player_events', 'players', 'player_snapshots', 'slot_players'];
      const found: string[] = [];
      for (const t of tables) if (((await shard.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t} WHERE player_id = $1`, [playerId]))[0]?.n ?? 0) > 0) found.push(t);
      if (found.length > 0) {
        holders++;
        expect(ids[i], `${playerId}'s rows in ${found.join(', ')}`).toBe(owner);
      }
    }
    expect(holders, `${playerId} is on exactly one shard`).toBe(1);
    const shard = realm.sql.shards[ids.indexOf(owner)]!;
    const events = await readEvents(shard, playerId, 0, 100_000);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    for (const e of events) if (e.type === 'data.set') seen.set(String((e.data as { value: unknown }).value), (seen.get(String((e.data as { value: unknown }).value)) ?? 0) + 1);
    const read = await realm.queries.get(playerId, 'strong');
    expect(JSON.parse(read.json)).toEqual(JSON.parse(JSON.stringify(replay(null, playerId, events))));
  }
  for (const [token, ack] of load.acked) expect(seen.get(token), `token ${token} of ${ack.playerId}`).toBe(1);
  expect([...seen.values()].every((n) => n === 1)).toBe(true);
}

function counts(owners: readonly number[]): number[] {
  const by = new Map<number, number>();
  for (const o of owners) by.set(o, (by.get(o) ?? 0) + 1);
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
}

describe.each(SQL_KINDS)('slot moves on %s', (kind) => {
  it('rebalances 4 → 5 shards under load and drains back to 4, losing and duplicating nothing', async () => {
    const open = await growable(kind, 5);
    const four = await open(4);
    await migrateCluster(four);
    await four.close();
    const realm = await startRealm(await open(5));
    cleanups.push(async () => void (await realm.close()));
    const mover = realm.shardMap!.mover;
    const load = kind === 'pglite' ? new Load(realm, `mv-${kind}`, 30, 4) : new Load(realm, `mv-${kind}`);
    await new Promise((r) => setTimeout(r, 300));

    const plan = await mover.plan('rebalance');
    expect(plan.length).toBe(819);
    expect(plan.every((m) => m.to === 4)).toBe(true);
    const { done } = await mover.start('rebalance');
    await expect(mover.start('rebalance')).rejects.toMatchObject({ code: 'conflict' });
    const result = await done;
    expect(result).toMatchObject({ state: 'done', slotsDone: 819, slotsTotal: 819, error: null });
    expect(result.rowsCopied).toBeGreaterThan(0);
    const after = await loadSlotMap(realm.sql);
    expect(after.epoch).toBeGreaterThan(1);
    expect(counts(after.map.toArray()).every((n) => n === 819 || n === 820)).toBe(true);
    expect(realm.router.epoch).toBe(after.epoch);

    const drained = await (await mover.start('drain', 4)).done;
    expect(drained).toMatchObject({ state: 'done', slotsDone: 819 });
    await load.stop();
    expect(load.failures).toEqual([]);
    expect(load.backwards).toEqual([]);
    expect(load.acked.size).toBeGreaterThan(0);
    const back = await loadSlotMap(realm.sql);
    expect(counts(back.map.toArray())).toEqual([1024, 1024, 1024, 1024]);
    await checkBooks(realm, load);
  }, 300_000);
});
