// Test backends: the machine's real PostgreSQL (fresh databases per test, dropped afterwards) and an embedded
// PGlite shared by the test file (fresh schemas per test, dropped afterwards).
import { PGlite, types } from '@electric-sql/pglite';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PgCluster, PgliteCluster, type SqlCluster } from '../../src/backends/postgres/index.js';

export type SqlKind = 'pglite' | 'postgres';
export const SQL_KINDS: readonly SqlKind[] = ['pglite', 'postgres'];

export const PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function pgUrl(database: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `count` empty databases and returns their URLs and a function that drops them. */
export async function createDatabases(count: number): Promise<{ urls: string[]; names: string[]; drop: () => Promise<void> }> {
  const base = uniqueName('rs_test');
  const names = Array.from({ length: count }, (_, i) => `${base}_${i}`);
  await withAdmin(async (c) => {
    for (const n of names) await c.query(`CREATE DATABASE ${n}`);
  });
  return {
    names,
    urls: names.map(pgUrl),
    drop: () => withAdmin(async (c) => {
      for (const n of names) await c.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
    }),
  };
}

let sharedPglite: Promise<PGlite> | undefined;

/** One in-memory PGlite per test worker: opening one costs seconds and hundreds of MB. */
export function sharedPgliteDb(): Promise<PGlite> {
  sharedPglite ??= PGlite.create(undefined, { parsers: { [types.INT8]: (v: string) => Number(v) } });
  return sharedPglite;
}

export interface TestCluster {
  /** The first cluster object; realms close it when they close. */
  cluster: SqlCluster;
  /** A new cluster object over the same storage (to restart a realm on the same data). */
  reopen: () => Promise<SqlCluster>;
  /** PostgreSQL URLs, one per shard (empty for PGlite). */
  urls: string[];
  /** PostgreSQL database names (empty for PGlite). */
  databases: string[];
  cleanup: () => Promise<void>;
}

/**
 * The SQL port's contract runs on these: the two backends, and PGlite as the server opens it (on a thread of its own,
 * in a data dir), where the other tests share one PGlite on the test's thread.
 */
export type SqlContractKind = SqlKind | 'pglite-thread';
export const SQL_CONTRACT_KINDS: readonly SqlContractKind[] = [...SQL_KINDS, 'pglite-thread'];

/** A fresh, empty cluster of `shards` shards on the given backend. */
export async function openTestCluster(kind: SqlContractKind, shards = 4): Promise<TestCluster> {
  if (kind === 'pglite-thread') {
    const dir = mkdtempSync(join(tmpdir(), 'rs-pglite-thread-'));
    const opened: PgliteCluster[] = [await PgliteCluster.open(dir, shards)];
    return {
      cluster: opened[0] as PgliteCluster,
      reopen: async () => {
        await Promise.all(opened.map((c) => c.close()));
        const c = await PgliteCluster.open(dir, shards);
        opened.push(c);
        return c;
      },
      urls: [],
      databases: [],
      cleanup: async () => {
        await Promise.all(opened.map((c) => c.close().catch(() => {})));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (kind === 'postgres') {
    const dbs = await createDatabases(shards);
    const opened: PgCluster[] = [new PgCluster(dbs.urls)];
    return {
      cluster: opened[0] as PgCluster,
      reopen: async () => {
        const c = new PgCluster(dbs.urls);
        opened.push(c);
        return c;
      },
      urls: dbs.urls,
      databases: dbs.names,
      cleanup: async () => {
        await Promise.all(opened.map((c) => c.close().catch(() => {})));
        await dbs.drop();
      },
    };
  }
  const db = await sharedPgliteDb();
  const prefix = `${uniqueName('t')}_`;
  const cluster = await PgliteCluster.attach(db, shards, { schemaPrefix: prefix });
  return {
    cluster,
    reopen: () => PgliteCluster.attach(db, shards, { schemaPrefix: prefix }),
    urls: [],
    databases: [],
    cleanup: async () => {
      for (let i = 0; i < shards; i++) await db.exec(`DROP SCHEMA IF EXISTS ${prefix}shard_${i} CASCADE`);
    },
  };
}
