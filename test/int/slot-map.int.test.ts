// The durable slot map: shard ids written once, the map and its epoch read from the databases, URL lists in any
// order, new databases joining empty, a missing shard refused by name, and deployments from before the map upgraded.
import { afterEach, describe, expect, it } from 'vitest';
import { loadMigrations, migrateCluster, migrateShard, PgCluster, PgliteCluster, type SqlCluster } from '../../src/backends/postgres/index.js';
import { loadSlotMap, MissingShardError, ShardRouter, slotOf } from '../../src/sharding/index.js';
import { createDatabases, sharedPgliteDb, SQL_KINDS, uniqueName, type SqlKind } from '../helpers/backends.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

function slotCounts(owners: readonly number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const o of owners) out[o] = (out[o] ?? 0) + 1;
  return out;
}

/** A cluster of `n` shards over the same storage as `make(n)`; on PGlite, shard i is schema i of one prefix. */
async function growable(kind: SqlKind, initial: number): Promise<{ open: (n: number, order?: number[]) => Promise<SqlCluster> }> {
  if (kind === 'postgres') {
    const dbs = await createDatabases(initial + 1);
    cleanups.push(dbs.drop);
    return {
      open: async (n, order) => {
        const urls = dbs.urls.slice(0, n);
        const c = new PgCluster(order ? order.map((i) => urls[i] as string) : urls);
        cleanups.push(() => c.close());
        return c;
      },
    };
  }
  const db = await sharedPgliteDb();
  const prefix = `${uniqueName('sm')}_`;
  cleanups.push(async () => {
    for (let i = 0; i <= initial; i++) await db.exec(`DROP SCHEMA IF EXISTS ${prefix}shard_${i} CASCADE`);
  });
  return { open: async (n) => PgliteCluster.attach(db, n, { schemaPrefix: prefix }) };
}

describe.each(SQL_KINDS)('durable slot map on %s', (kind) => {
  it('gives a new cluster ids in URL order and the even map at epoch 1, and keeps them on a restart', async () => {
    const g = await growable(kind, 4);
    const first = await g.open(4);
    await migrateCluster(first);
    const loaded = await loadSlotMap(first);
    expect(loaded.ids).toEqual([0, 1, 2, 3]);
    expect(loaded.epoch).toBe(1);
    expect(slotCounts(loaded.map.toArray())).toEqual({ 0: 1024, 1: 1024, 2: 1024, 3: 1024 });
    await migrateCluster(await g.open(4));
    expect((await loadSlotMap(await g.open(4))).ids).toEqual([0, 1, 2, 3]);
  });

  it('lets a new empty database join owning no slots, and refuses a list that misses a shard owning slots', async () => {
    const g = await growable(kind, 4);
    await migrateCluster(await g.open(4));
    const five = await g.open(5);
    await migrateCluster(five);
    const loaded = await loadSlotMap(five);
    expect(loaded.ids).toEqual([0, 1, 2, 3, 4]);
    expect(loaded.epoch).toBe(1);
    expect(slotCounts(loaded.map.toArray())[4]).toBeUndefined();
    const owned = await five.shards[4]!.query<{ n: number }>('SELECT count(*)::int AS n FROM slot_owner');
    expect(owned[0]!.n).toBe(0);
    const three = await g.open(3);
    await migrateCluster(three);
    await expect(loadSlotMap(three)).rejects.toThrow(MissingShardError);
    await expect(loadSlotMap(three)).rejects.toThrow(/shard 3 \(owns 1024 slots\)/);
  });

  it('upgrades a deployment made before the durable map in place: its even map becomes epoch 1', async () => {
    const g = await growable(kind, 2);
    const old = await g.open(2);
    const before = loadMigrations().filter((m) => m.name < '0004');
    const players = Array.from({ length: 40 }, (_, i) => `legacy-${i}`);
    const router = new ShardRouter((await import('../../src/sharding/index.js')).SlotMap.even(2));
    for (const [i, shard] of old.shards.entries()) {
      await migrateShard(shard, before);
      // What versions before the durable map wrote on the first migration.
      await shard.query("INSERT INTO realmstate_meta (key, value) VALUES ('shard_index', $1::jsonb), ('shard_count', '2'::jsonb)", [JSON.stringify(i)]);
      const mine = players.filter((p) => router.shardOf(p) === i);
      await shard.query(
        `INSERT INTO player_events (player_id, seq, type, data, recorded_at) SELECT p, 1, 'stat.add', '{"stat":"n","amount":1}', now() FROM unnest($1::text[]) p`,
        [mine],
      );
    }
    await migrateCluster(old);
    const loaded = await loadSlotMap(old);
    expect(loaded.ids).toEqual([0, 1]);
    expect(loaded.epoch).toBe(1);
    expect(slotCounts(loaded.map.toArray())).toEqual({ 0: 2048, 1: 2048 });
    for (const [i, shard] of old.shards.entries()) {
      const indexed = await shard.query<{ slot: number; player_id: string }>('SELECT slot, player_id FROM slot_players ORDER BY player_id');
      const mine = players.filter((p) => router.shardOf(p) === i).sort();
      expect(indexed.map((r) => r.player_id)).toEqual(mine);
      for (const r of indexed) expect(r.slot).toBe(slotOf(r.player_id));
    }
  });
});

describe('durable slot map on postgres, URL order', () => {
  it('routes a player to the same database whatever the order of DATABASE_URLS', async () => {
    const g = await growable('postgres', 3);
    const straight = await g.open(3);
    await migrateCluster(straight);
    const reversed = await g.open(3, [2, 1, 0]);
    await migrateCluster(reversed);
    const a = await loadSlotMap(straight);
    const b = await loadSlotMap(reversed);
    expect(b.ids).toEqual([2, 1, 0]);
    const ra = new ShardRouter(a.map, a.ids, a.epoch);
    const rb = new ShardRouter(b.map, b.ids, b.epoch);
    const database = (label: string) => label.replace(/^shard \d+ /, '');
    for (const p of ['a', 'bob', 'carol-7', 'x:y']) expect(database(reversed.shards[rb.shardOf(p)]!.label)).toBe(database(straight.shards[ra.shardOf(p)]!.label));
  });
});
