// The composition root: builds the backends the settings ask for and the services on top of them.
// Only this file picks adapters; services see ports.
import type { Logger } from 'pino';
import { resolveApiKeys, type ApiKeys } from './api-keys.js';
import { migrateCluster, PgCluster, PgliteCluster, type SqlCluster } from './backends/postgres/index.js';
import { createLogger } from './log.js';
import { Metrics } from './metrics.js';
import { PlayerQueries, PlayerStore } from './players/index.js';
import { loadSettings, type Settings } from './settings.js';
import { ShardRouter, SlotMap } from './sharding/index.js';

export interface CreateRealmOptions {
  /** Settings; default: read from process.env. */
  settings?: Settings;
  /** Logger; default: pino at settings.logLevel. */
  logger?: Logger;
  /** A SQL cluster to use instead of the one the settings describe (instance or factory). */
  sql?: SqlCluster | (() => Promise<SqlCluster>);
  /** Keep the embedded database in memory instead of the data dir (tests). Default false. */
  inMemory?: boolean;
  /** Export Node.js process metrics. Default true. */
  processMetrics?: boolean;
}

export type BackendStatus = 'up' | 'down';

export class Realm {
  private closing: Promise<boolean> | undefined;

  constructor(
    readonly settings: Settings,
    readonly log: Logger,
    readonly metrics: Metrics,
    readonly sql: SqlCluster,
    readonly router: ShardRouter,
    readonly players: PlayerStore,
    readonly queries: PlayerQueries,
    readonly keys: ApiKeys,
  ) {}

  /** One line saying which backends are in use, without secrets. */
  describe(): string {
    return `players: ${this.sql.describe()}`;
  }

  async readiness(): Promise<Record<string, BackendStatus>> {
    const checks: Array<[string, Promise<unknown>]> = this.sql.shards.map((s) => [`shard-${s.index}`, s.query('SELECT 1')]);
    this.sql.replicas.forEach((r, i) => {
      if (r) checks.push([`replica-${i}`, r.query('SELECT 1')]);
    });
    const out: Record<string, BackendStatus> = {};
    await Promise.all(
      checks.map(async ([name, check]) => {
        out[name] = await withTimeout(check, 1000).then(
          () => 'up' as const,
          () => 'down' as const,
        );
      }),
    );
    return out;
  }

  /** Flushes everything acknowledged and closes the backends. Resolves false if some data could not be persisted. */
  close(): Promise<boolean> {
    this.closing ??= (async () => {
      const flushed = await this.players.close();
      await this.sql.close();
      return flushed;
    })();
    return this.closing;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e)),
    );
  });
}

async function openSql(settings: Settings, options: CreateRealmOptions): Promise<SqlCluster> {
  if (options.sql) return typeof options.sql === 'function' ? options.sql() : options.sql;
  if (settings.databaseUrls.length > 0) return new PgCluster(settings.databaseUrls, settings.databaseReplicaUrls);
  return PgliteCluster.open(options.inMemory ? undefined : `${settings.dataDir}`, settings.shards);
}

export async function createRealm(options: CreateRealmOptions = {}): Promise<Realm> {
  const settings = options.settings ?? loadSettings();
  const log = options.logger ?? createLogger(settings.logLevel);
  const keys = resolveApiKeys(settings.dataDir, settings.apiKey, settings.adminKey);
  const metrics = new Metrics({ defaultMetrics: options.processMetrics ?? true });
  const sql = await openSql(settings, options);
  try {
    await migrateCluster(sql);
    const router = new ShardRouter(SlotMap.even(sql.shards.length));
    const players = new PlayerStore(sql, router, settings.engine, metrics, log);
    const queries = new PlayerQueries(players, sql, router, metrics);
    players.start();
    return new Realm(settings, log, metrics, sql, router, players, queries, keys);
  } catch (err) {
    await sql.close().catch(() => {});
    throw err;
  }
}
