// What the leaderboard scenarios share: a realm on the machine's PostgreSQL and Redis (fresh databases, a key prefix
// of its own, all removed afterwards), bulk loading of a board through the library's durable copy and rebuild, and a
// seeded random source so every run measures the same data.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SortedSetEntry } from '../src/backends/sorted-set-port.js';
import { upsertScoreRows, type ScoreRow } from '../src/leaderboards/score-rows.js';
import { silentLogger } from '../src/log.js';
import { createRealm, type Realm } from '../src/realm.js';
import { loadSettings } from '../src/settings.js';
import { createDatabases } from '../test/helpers/backends.js';
import { deleteKeys, REDIS_TEST_URL } from '../test/helpers/redis.js';

export { REDIS_TEST_URL as REDIS_URL };
export { seededRandom } from '../test/helpers/seeded-random.js';

/** A Redis key prefix for one benchmark run (deleted with deleteKeys afterwards; never FLUSHALL on the shared server). */
export function benchPrefix(scenario: string): string {
  return `bench-${scenario}-${randomUUID()}:`;
}

export interface BenchRealm {
  realm: Realm;
  prefix: string;
  databaseUrls: string[];
  /** Closes the realm, deletes its Redis keys, drops its databases and data dir. */
  cleanup: () => Promise<void>;
}

/** A realm as a library user builds it: `createRealm` with DATABASE_URLS and REDIS_URL (in-process event bus). */
export async function openBenchRealm(scenario: string, shards: number): Promise<BenchRealm> {
  const dbs = await createDatabases(shards);
  const prefix = benchPrefix(scenario);
  const dataDir = mkdtempSync(join(tmpdir(), `rs-bench-${scenario}-`));
  const cleanupRest = async () => {
    await deleteKeys(prefix);
    await dbs.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const settings = loadSettings({
      DATABASE_URLS: dbs.urls.join(','), REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix, REALMSTATE_DATA_DIR: dataDir,
      REALMSTATE_API_KEY: 'bench-game-key-0123456789', REALMSTATE_ADMIN_KEY: 'bench-admin-key-0123456789', LOG_LEVEL: 'silent',
    });
    const realm = await createRealm({ settings, logger: silentLogger, processMetrics: false });
    return {
      realm,
      prefix,
      databaseUrls: dbs.urls,
      cleanup: async () => {
        await realm.close();
        await cleanupRest();
      },
    };
  } catch (err) {
    await cleanupRest();
    throw err;
  }
}

/**
 * Fills a board season the way production would after a Redis loss: the rows go to `leaderboard_scores` on each
 * player's shard (unnest upserts, shards in parallel), then the library rebuilds the board from PostgreSQL.
 * Returns the milliseconds of the rebuild alone.
 */
export async function loadBoard(realm: Realm, board: string, rows: readonly ScoreRow[], progress: (m: string) => void): Promise<number> {
  const byShard: ScoreRow[][] = realm.sql.shards.map(() => []);
  for (const row of rows) byShard[realm.router.shardOf(row.playerId)]?.push(row);
  const chunk = 20_000;
  let written = 0;
  let lastReport = Date.now();
  await Promise.all(realm.sql.shards.map(async (shard, i) => {
    const mine = byShard[i] as ScoreRow[];
    for (let s = 0; s < mine.length; s += chunk) {
      const part = mine.slice(s, s + chunk);
      await upsertScoreRows(shard, part);
      written += part.length;
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now();
        progress(`${board}: ${written.toLocaleString('en-US')}/${rows.length.toLocaleString('en-US')} rows in PostgreSQL`);
      }
    }
  }));
  progress(`${board}: ${rows.length.toLocaleString('en-US')} rows in PostgreSQL; rebuilding the board in Redis from them`);
  const t0 = performance.now();
  const report = await realm.leaderboards.rebuild(board);
  const ms = performance.now() - t0;
  const loaded = report.sets.reduce((n, s) => n + s.entries, 0);
  if (loaded !== rows.length) throw new Error(`rebuild of ${board} loaded ${loaded} entries, expected ${rows.length}`);
  progress(`${board}: rebuilt ${loaded.toLocaleString('en-US')} entries in ${(ms / 1000).toFixed(1)} s`);
  return ms;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Throws with the first error when a load run had any: a figure from failed operations means nothing. */
export function assertNoErrors(what: string, result: { errors: number; firstError?: unknown }): void {
  if (result.errors > 0) throw new Error(`${what}: ${result.errors} operations failed`, { cause: result.firstError });
}

/** CPU seconds the Redis server has used (user + system), from INFO cpu. */
export async function redisCpuSeconds(client: { info: (section: string) => Promise<string> }): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

export interface CpuShares {
  /** Share of one core this process used, in percent. */
  client: number;
  /** Share of one core the Redis server used, in percent (every client of the shared server counts). */
  redis: number;
}

/** Runs `fn` and reports how busy this process and the Redis server were meanwhile: which side limited the figure. */
export async function withCpuShares<T>(redis: { info: (section: string) => Promise<string> }, fn: () => Promise<T>): Promise<{ value: T; cpu: CpuShares }> {
  const r0 = await redisCpuSeconds(redis);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const r1 = await redisCpuSeconds(redis);
  return { value, cpu: { client: (100 * (c.user + c.system)) / 1e6 / seconds, redis: (100 * (r1 - r0)) / seconds } };
}

export function cpuText(cpu: CpuShares): string {
  return `client process ${cpu.client.toFixed(0)}% of a core, Redis ${cpu.redis.toFixed(0)}%`;
}

/** N port entries `p0…`, with distinct scores (lower ranks first, as the port stores a desc board) and times. */
export function* benchEntries(n: number, at0: number): Generator<SortedSetEntry> {
  for (let i = 0; i < n; i++) yield { playerId: `p${i}`, score: -((i * 7919) % 1_000_003), at: at0 + i };
}
