// Applies the .sql files of ./migrations to every shard, once each, in name order, recorded in realmstate_migrations.
// An advisory lock serializes processes that start at the same time. Then gives every shard database its id
// (once, for good) and the slot map its first epoch: see assignShardIds.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { slotOf } from '../../sharding/slot-hash.js';
import { SlotMap } from '../../sharding/slot-map.js';
import type { SqlCluster, SqlExecutor, SqlShard } from './sql-port.js';

export interface Migration {
  name: string;
  sql: string;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant works; it only has to be the same in every process.
const MIGRATION_LOCK_KEY = 72_616_001;

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, sql: readFileSync(`${dir}/${name}`, 'utf8') }));
}

/** Two listed databases claim the same shard id (the same URL twice, or a copied database). */
export class ShardMismatchError extends Error {}

/** Migrates one shard's tables and returns the names it applied now. */
export async function migrateShard(shard: SqlShard, migrations: Migration[] = loadMigrations()): Promise<string[]> {
  const applied: string[] = [];
  await shard.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query('CREATE TABLE IF NOT EXISTS realmstate_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await tx.query<{ name: string }>('SELECT name FROM realmstate_migrations')).map((r) => r.name));
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      // Simple-protocol query: a migration file may hold several statements.
      await tx.query(m.sql);
      await tx.query('INSERT INTO realmstate_migrations (name) VALUES ($1)', [m.name]);
      applied.push(m.name);
    }
  });
  return applied;
}

export async function migrateCluster(cluster: SqlCluster): Promise<string[][]> {
  const migrations = loadMigrations();
  const out: string[][] = [];
  // One shard after the other: PGlite has a single connection anyway, and the logs read in order.
  for (const shard of cluster.shards) out.push(await migrateShard(shard, migrations));
  await assignShardIds(cluster);
  return out;
}

/** The slot map as stored on a shard: shard id per slot, and its epoch. */
export interface StoredMap {
  epoch: number;
  owners: number[];
}

interface ShardFacts {
  id: number | undefined;
  /** Written by versions before the durable map: the shard's position and the URL count it was made for. */
  legacyIndex: number | undefined;
  legacyCount: number | undefined;
  map: StoredMap | undefined;
}

export async function readShardFacts(db: SqlExecutor): Promise<ShardFacts> {
  const rows = await db.query<{ key: string; value: unknown }>("SELECT key, value FROM realmstate_meta WHERE key IN ('shard_id', 'shard_index', 'shard_count', 'map')");
  const get = (k: string) => rows.find((r) => r.key === k)?.value;
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  return { id: num(get('shard_id')), legacyIndex: num(get('shard_index')), legacyCount: num(get('shard_count')), map: get('map') as StoredMap | undefined };
}

/**
 * Gives each listed database its shard id, once. A deployment made before the durable map keeps its ids
 * (its old positions) and its even map becomes epoch 1; a new cluster gets ids 0..n-1 in URL order and the even
 * map; a database added to a running cluster gets the next free id and owns no slots until a move gives it some.
 */
export async function assignShardIds(cluster: SqlCluster): Promise<void> {
  for (const shard of cluster.shards) {
    const facts = await readShardFacts(shard);
    if (facts.id === undefined && facts.legacyIndex !== undefined) {
      const even = SlotMap.even(facts.legacyCount ?? cluster.shards.length).toArray();
      await claim(shard, facts.legacyIndex, { epoch: 1, owners: even }, true);
    }
  }
  const facts = [];
  for (const shard of cluster.shards) facts.push(await readShardFacts(shard));
  const known = facts.flatMap((f) => (f.id === undefined ? [] : [f.id]));
  if (known.length === 0) {
    const even = SlotMap.even(cluster.shards.length).toArray();
    for (const [i, shard] of cluster.shards.entries()) await claim(shard, i, { epoch: 1, owners: even }, true);
  } else {
    let latest: StoredMap | undefined;
    for (const f of facts) if (f.map && (!latest || f.map.epoch > latest.epoch)) latest = f.map;
    let next = Math.max(...known) + 1;
    for (const [i, shard] of cluster.shards.entries()) {
      if ((facts[i] as ShardFacts).id !== undefined) continue;
      if (await claim(shard, next, latest ?? { epoch: 0, owners: [] }, false)) next++;
    }
  }
  const ids = new Map<number, string>();
  for (const shard of cluster.shards) {
    const { id } = await readShardFacts(shard);
    const other = ids.get(id as number);
    if (other !== undefined) throw new ShardMismatchError(`${other} and ${shard.label} are both shard ${id}: list each shard database once in DATABASE_URLS`);
    ids.set(id as number, shard.label);
  }
}

/** Writes the shard's id (unless another process just did) and, with `ownSlots`, the slots the map gives it. */
async function claim(shard: SqlShard, id: number, map: StoredMap, ownSlots: boolean): Promise<boolean> {
  return shard.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    if ((await readShardFacts(tx)).id !== undefined) return false;
    await tx.query(
      `INSERT INTO realmstate_meta (key, value) VALUES ('shard_id', $1::jsonb), ('map', $2::jsonb), ('epoch', $3::jsonb)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [JSON.stringify(id), JSON.stringify(map), JSON.stringify(map.epoch)],
    );
    if (ownSlots) {
      const slots = map.owners.flatMap((owner, slot) => (owner === id ? [slot] : []));
      await tx.query('INSERT INTO slot_owner (slot) SELECT unnest($1::int[]) ON CONFLICT DO NOTHING', [slots]);
      // Players written before the map existed: index them by slot, for the moves.
      const players = await tx.query<{ player_id: string }>('SELECT DISTINCT player_id FROM player_events UNION SELECT player_id FROM players');
      const ids = players.map((p) => p.player_id);
      for (let i = 0; i < ids.length; i += 5000) {
        const chunk = ids.slice(i, i + 5000);
        await tx.query('INSERT INTO slot_players (slot, player_id) SELECT * FROM unnest($1::int[], $2::text[]) ON CONFLICT DO NOTHING', [chunk.map(slotOf), chunk]);
      }
    }
    return true;
  });
}
