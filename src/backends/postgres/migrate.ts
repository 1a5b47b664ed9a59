// Applies the .sql files of ./migrations to every shard, once each, in name order, recorded in realmstate_migrations.
// An advisory lock serializes processes that start at the same time.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqlCluster, SqlShard } from './sql-port.js';

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

export class ShardMismatchError extends Error {}

/** Migrates one shard and returns the names it applied now. Also checks the shard is the one the settings say it is. */
export async function migrateShard(shard: SqlShard, shardCount: number, migrations: Migration[] = loadMigrations()): Promise<string[]> {
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
    const meta = await tx.query<{ key: string; value: unknown }>("SELECT key, value FROM realmstate_meta WHERE key IN ('shard_index', 'shard_count')");
    const known = new Map(meta.map((r) => [r.key, r.value]));
    if (known.size === 0) {
      await tx.query(
        "INSERT INTO realmstate_meta (key, value) VALUES ('shard_index', $1::jsonb), ('shard_count', $2::jsonb)",
        [JSON.stringify(shard.index), JSON.stringify(shardCount)],
      );
    } else if (known.get('shard_index') !== shard.index || known.get('shard_count') !== shardCount) {
      throw new ShardMismatchError(
        `${shard.label} was created as shard ${String(known.get('shard_index'))} of ${String(known.get('shard_count'))}, ` +
          `but the settings make it shard ${shard.index} of ${shardCount}; players would be routed to the wrong database. ` +
          (shard.label.startsWith('embedded')
            ? `Keep REALMSTATE_SHARDS at ${String(known.get('shard_count'))} for this data dir (REALMSTATE_DATA_DIR), or start with an empty data dir.`
            : 'Keep DATABASE_URLS in the same order and count (moving slots between shards needs a migration of their rows).'),
      );
    }
  });
  return applied;
}

export async function migrateCluster(cluster: SqlCluster): Promise<string[][]> {
  const migrations = loadMigrations();
  const out: string[][] = [];
  // One shard after the other: PGlite has a single connection anyway, and the logs read in order.
  for (const shard of cluster.shards) out.push(await migrateShard(shard, cluster.shards.length, migrations));
  return out;
}
