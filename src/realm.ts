// The composition root: builds the backends the settings ask for and the services on top of them.
// Only this file picks adapters; services see ports.
import type { Logger } from 'pino';
import { resolveApiKeys, type ApiKeys } from './api-keys.js';
import type { Broadcast } from './backends/broadcast-port.js';
import { NatsBroadcast } from './backends/nats/nats-broadcast.js';
import { connectNats } from './backends/nats/nats-connection.js';
import { migrateCluster, PgCluster, PgliteCluster, type SqlCluster } from './backends/postgres/index.js';
import { RedisBroadcast } from './backends/redis/redis-broadcast.js';
import { GameConfig } from './config/index.js';
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

export interface RealmParts {
  settings: Settings;
  log: Logger;
  metrics: Metrics;
  keys: ApiKeys;
  sql: SqlCluster;
  router: ShardRouter;
  players: PlayerStore;
  queries: PlayerQueries;
  config: GameConfig;
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
  /** The live game config: `config.current`, `config.subscribe((next, prev) => …)`, `config.forPlayer(id)`, `config.reload()`. */
  readonly config: GameConfig;

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
    this.config = parts.config;
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

export async function createRealm(options: CreateRealmOptions = {}): Promise<Realm> {
  const settings = options.settings ?? loadSettings();
  const log = options.logger ?? createLogger(settings.logLevel);
  const keys = resolveApiKeys(settings.dataDir, settings.apiKey, settings.adminKey);
  const metrics = new Metrics({ defaultMetrics: options.processMetrics ?? true });
  // Before the databases: a bad config file should stop the start at once, with its line and field.
  const config = await openGameConfig(settings, log, metrics);
  const sql = await openSql(settings, options).catch(async (err: unknown) => {
    await config.close();
    throw err;
  });
  let realm: Realm | undefined;
  try {
    await migrateCluster(sql);
    const router = new ShardRouter(SlotMap.even(sql.shards.length));
    const players = new PlayerStore(sql, router, settings.engine, metrics, log);
    const queries = new PlayerQueries(players, sql, router, metrics);
    realm = new Realm({ settings, log, metrics, keys, sql, router, players, queries, config });
    realm.onClose('sql', () => sql.close());
    realm.onClose('players', () => players.close());
    // Registered last so it stops first: no config change reaches services while they close.
    realm.onClose('config', () => config.close());
    realm.describeBackend(describeConfig(config, settings));
    players.start();
    return realm;
  } catch (err) {
    if (realm) await realm.close().catch(() => {});
    else await Promise.all([sql.close().catch(() => {}), config.close()]);
    throw err;
  }
}

/** The game config of settings.configFile, announcing accepted changes over Redis when there is one, else NATS. */
async function openGameConfig(settings: Settings, log: Logger, metrics: Metrics): Promise<GameConfig> {
  let broadcast: Broadcast | undefined;
  if (settings.configFile !== undefined && settings.redisUrl) {
    broadcast = new RedisBroadcast(settings.redisUrl, `${settings.redisKeyPrefix}config`);
  } else if (settings.configFile !== undefined && settings.natsUrl) {
    // Not under the events prefix: the JetStream stream would store these. Deployments sharing a NATS server hear
    // each other's announcements; that costs a re-read of the file, never a wrong config (each trusts its own file).
    broadcast = new NatsBroadcast(await connectNats(settings.natsUrl, { name: 'realmstate-config' }), 'realmstate.config', { ownsConnection: true });
  }
  return GameConfig.open({ file: settings.configFile, broadcast, log, metrics });
}

function describeConfig(config: GameConfig, settings: Settings): string {
  if (config.file === undefined) return 'game config: built-in defaults';
  const { version, hash } = config.current;
  const announced = settings.redisUrl ? 'announced over Redis' : settings.natsUrl ? 'announced over NATS' : 'not announced (no Redis or NATS)';
  return `game config: ${config.file} version ${version} hash ${hash}, changes ${announced}`;
}
