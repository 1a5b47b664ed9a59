// The composition root: builds the backends the settings ask for and the services on top of them.
// Only this file picks adapters; services see ports.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { resolveApiKeys, type ApiKeys } from './api-keys.js';
import { MemorySortedSets } from './backends/memory/index.js';
import { migrateCluster, PgCluster, PgliteCluster, type SqlCluster } from './backends/postgres/index.js';
import { connectRedis, createRedisClient, describeRedis, RedisSortedSets } from './backends/redis/index.js';
import type { SortedSetStore } from './backends/sorted-set-port.js';
import { LeaderboardService, type Clock, type LeaderboardStores } from './leaderboards/index.js';
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
  /** "Now" for leaderboard seasons and achieved-at times (tests cross season boundaries). Default: the system clock. */
  clock?: Clock;
}

export type BackendStatus = 'up' | 'down';

export interface RealmParts {
  settings: Settings;
  log: Logger;
  metrics: Metrics;
  keys: ApiKeys;
  sql: SqlCluster;
  router: ShardRouter;
  players: PlayerStore;
  queries: PlayerQueries;
  leaderboards: LeaderboardService;
}

type Check = () => Promise<unknown>;

export class Realm implements RealmParts {
  readonly settings: Settings;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly keys: ApiKeys;
  readonly sql: SqlCluster;
  readonly router: ShardRouter;
  readonly players: PlayerStore;
  readonly queries: PlayerQueries;
  readonly leaderboards: LeaderboardService;

  private readonly checks = new Map<string, Check>();
  /** Run in reverse order of registration on close: what was built last stops first. */
  private readonly closers: Array<{ name: string; close: () => Promise<unknown> }> = [];
  private readonly descriptions: string[] = [];
  private closing: Promise<boolean> | undefined;

  constructor(parts: RealmParts) {
    this.settings = parts.settings;
    this.log = parts.log;
    this.metrics = parts.metrics;
    this.keys = parts.keys;
    this.sql = parts.sql;
    this.router = parts.router;
    this.players = parts.players;
    this.queries = parts.queries;
    this.leaderboards = parts.leaderboards;
    this.sql.shards.forEach((s) => this.addReadinessCheck(`shard-${s.index}`, () => s.query('SELECT 1')));
    this.sql.replicas.forEach((r, i) => {
      if (r) this.addReadinessCheck(`replica-${i}`, () => r.query('SELECT 1'));
    });
    this.describeBackend(`players: ${this.sql.describe()}`);
  }

  /** Adds a backend to /readyz: `check` resolves when the backend answers. */
  addReadinessCheck(name: string, check: Check): void {
    this.checks.set(name, check);
  }

  /** Registers a step of the shutdown; steps run in reverse order of registration. */
  onClose(name: string, close: () => Promise<unknown>): void {
    this.closers.push({ name, close });
  }

  /** Adds a part to the start-up line that says which backends are in use. */
  describeBackend(text: string): void {
    this.descriptions.push(text);
  }

  /** One line saying which backends are in use, without secrets. */
  describe(): string {
    return this.descriptions.join('; ');
  }

  async readiness(): Promise<Record<string, BackendStatus>> {
    const out: Record<string, BackendStatus> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        out[name] = await withTimeout(check(), 1000).then(
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
      let ok = true;
      for (const { name, close } of [...this.closers].reverse()) {
        try {
          const result = await close();
          if (result === false) ok = false;
        } catch (err) {
          ok = false;
          this.log.error({ err, step: name }, 'shutdown step failed');
        }
      }
      return ok;
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
  return PgliteCluster.open(options.inMemory ? undefined : settings.dataDir, settings.shards);
}

interface BoardStores {
  stores: LeaderboardStores;
  /** Redis clients by readiness name (`redis`, `redis-<region>`). */
  clients: Map<string, Redis>;
  description: string;
}

/** The leaderboards' sorted sets: Redis when REDIS_URL is set (a region may have its own), else in-process. */
async function openBoardStores(settings: Settings, log: Logger): Promise<BoardStores> {
  const regionUrls = Object.entries(settings.redisRegionUrls);
  if (!settings.redisUrl) {
    if (regionUrls.length > 0) throw new Error('REDIS_REGION_URLS needs REDIS_URL too (the Redis of boards without regions and of unlisted regions)');
    return { stores: { default: new MemorySortedSets() }, clients: new Map(), description: 'leaderboards: in-process sorted sets' };
  }
  const clients = new Map<string, Redis>();
  const open = (name: string, url: string): SortedSetStore => {
    const client = createRedisClient(url, { name: `realmstate-${name}` });
    clients.set(name, client);
    return new RedisSortedSets(client, { keyPrefix: settings.redisKeyPrefix, label: `${name} (${describeRedis(url)})` });
  };
  const main = open('redis', settings.redisUrl);
  const regions: Record<string, SortedSetStore> = {};
  for (const [region, url] of regionUrls) regions[region] = url === settings.redisUrl ? main : open(`redis-${region}`, url);
  await Promise.all([...clients].map(async ([name, client]) => {
    // Start anyway: readiness says down, requests needing it get 503, and boards are rebuilt once it answers.
    if (!(await connectRedis(client))) log.warn({ redis: name }, 'Redis does not answer yet; leaderboards on it are unavailable until it does');
  }));
  const listed = regionUrls.map(([region, url]) => `${region}=${describeRedis(url)}`).join(', ');
  return { stores: { default: main, regions }, clients, description: `leaderboards: Redis ${describeRedis(settings.redisUrl)}${listed ? `, regions ${listed}` : ''}` };
}

export async function createRealm(options: CreateRealmOptions = {}): Promise<Realm> {
  const settings = options.settings ?? loadSettings();
  const log = options.logger ?? createLogger(settings.logLevel);
  const keys = resolveApiKeys(settings.dataDir, settings.apiKey, settings.adminKey);
  const metrics = new Metrics({ defaultMetrics: options.processMetrics ?? true });
  const sql = await openSql(settings, options);
  let realm: Realm | undefined;
  let boards: BoardStores | undefined;
  try {
    await migrateCluster(sql);
    const router = new ShardRouter(SlotMap.even(sql.shards.length));
    const players = new PlayerStore(sql, router, settings.engine, metrics, log);
    const queries = new PlayerQueries(players, sql, router, metrics);
    boards = await openBoardStores(settings, log);
    const leaderboards = new LeaderboardService({ stores: boards.stores, sql, router, metrics, log, clock: options.clock, shutdownTimeoutMs: settings.engine.shutdownTimeoutMs });
    realm = new Realm({ settings, log, metrics, keys, sql, router, players, queries, leaderboards });
    realm.onClose('sql', () => sql.close());
    realm.onClose('players', () => players.close());
    const redisClients = [...boards.clients.values()];
    for (const [name, client] of boards.clients) realm.addReadinessCheck(name, () => client.ping());
    realm.onClose('redis', () => Promise.all(redisClients.map((c) => c.quit().catch(() => c.disconnect()))));
    realm.onClose('leaderboards', () => leaderboards.close());
    realm.describeBackend(boards.description);
    players.start();
    await leaderboards.start();
    return realm;
  } catch (err) {
    if (realm) await realm.close().catch(() => {});
    else {
      for (const client of boards?.clients.values() ?? []) client.disconnect();
      await sql.close().catch(() => {});
    }
    throw err;
  }
}
