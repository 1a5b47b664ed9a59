// The composition root: builds the backends the settings ask for and the services on top of them.
// Only this file picks adapters; services see ports.
import type { Logger } from 'pino';
import { resolveApiKeys, type ApiKeys } from './api-keys.js';
import { DeferredBus } from './backends/deferred-bus.js';
import type { EventBus } from './backends/event-bus.js';
import { MemoryBus } from './backends/memory/memory-bus.js';
import { MemoryPlayerCache } from './backends/memory/memory-player-cache.js';
import { JetStreamBus } from './backends/nats/jetstream-bus.js';
import { connectNats } from './backends/nats/nats-connection.js';
import type { PlayerCache } from './backends/player-cache.js';
import { MemorySortedSets } from './backends/memory/index.js';
import { migrateCluster, PgCluster, PgliteCluster, type SqlCluster } from './backends/postgres/index.js';
import { connectRedis, createRedis, describeRedis, RedisSortedSets, type RedisClient, type RedisTarget } from './backends/redis/index.js';
import { RedisPlayerCache } from './backends/redis/redis-player-cache.js';
import type { SortedSetStore } from './backends/sorted-set-port.js';
import { OutboxRelay, ProjectionRunner, type Projection } from './events/index.js';
import type { Broadcast } from './backends/broadcast-port.js';
import { NatsBroadcast } from './backends/nats/nats-broadcast.js';
import { RedisBroadcast } from './backends/redis/redis-broadcast.js';
import { GameConfig } from './config/index.js';
import { Fleet } from './fleet/index.js';
import { LeaderboardService, type Clock, type LeaderboardStores } from './leaderboards/index.js';
import { createLogger } from './log.js';
import { Matchmaker, MemoryTicketPool, RedisTicketPool, type MatchmakerOptions } from './matchmaking/index.js';
import { Metrics } from './metrics.js';
import { CacheUpdater } from './players/cache-updater.js';
import { PlayerQueries, PlayerStore, TRADE_EVENT_TYPES, type RecordedEvent } from './players/index.js';
import { loadSettings, type Settings } from './settings.js';
import type { ShardRouter } from './sharding/index.js';
import { openShardMap, type ShardMapHandle } from './resharding/index.js';
import { Anticheat } from './anticheat/index.js';
import { MemoryRateWindows } from './backends/memory/memory-rate-windows.js';
import { MemoryBroadcastHub } from './backends/memory/memory-broadcast.js';
import { RedisRateWindows } from './backends/redis/redis-rate-windows.js';
import { EconomyBooks } from './economy/index.js';
import { asStatEvents, TradeService, type TradeOptions } from './trades/index.js';

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
  /** Options of the outbox relay (tests shorten its polling). */
  relay?: ConstructorParameters<typeof OutboxRelay>[4];
  /** "Now" for leaderboard seasons and achieved-at times (tests cross season boundaries). Default: the system clock. */
  clock?: Clock;
  /** Trade timeouts and the recovery sweep's pace. Default: DEFAULT_TRADE_OPTIONS. */
  trades?: Partial<TradeOptions>;
  /** Matcher tick, lease and retry timings. Defaults in DEFAULT_MATCHMAKER_OPTIONS. */
  matchmaking?: MatchmakerOptions;
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
  /** The event stream (JetStream, or the in-process bus). */
  bus: EventBus;
  cache: PlayerCache;
  /** Redis client of the cache and leaderboards, when REDIS_URL (a Redis) or REDIS_CLUSTER_NODES (a Redis Cluster) is set. */
  redis: RedisClient | undefined;
  relay: OutboxRelay;
  projections: ProjectionRunner;
  config: GameConfig;
  leaderboards: LeaderboardService;
  anticheat: Anticheat;
  trades: TradeService;
  economy: EconomyBooks;
  matchmaking: Matchmaker;
  /** This instance's part in a fleet (slot leases, forwarding); outside a fleet it owns every player. */
  fleet?: Fleet;
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
  readonly bus: EventBus;
  readonly cache: PlayerCache;
  readonly redis: RedisClient | undefined;
  readonly relay: OutboxRelay;
  readonly projections: ProjectionRunner;
  /** The live game config: `config.current`, `config.subscribe((next, prev) => …)`, `config.forPlayer(id)`, `config.reload()`. */
  readonly config: GameConfig;
  readonly leaderboards: LeaderboardService;
  /** Anti-cheat: rules on every write, flags, quarantine, bans, rollback, the admin audit log. */
  readonly anticheat: Anticheat;
  /** Player-to-player trades, atomic across shards, and their recovery sweep. */
  readonly trades: TradeService;
  /** The economy's books: a projection of the stream, and a rebuild from the logs to check it against. */
  readonly economy: EconomyBooks;
  readonly matchmaking: Matchmaker;
  readonly fleet: Fleet;

  /** The durable slot map and the mover of slots between shards. */
  shardMap: ShardMapHandle | undefined;
  private readonly checks = new Map<string, Check>();
  /** Backends whose loss degrades the instance without making it unready (a leaderboard region's Redis). */
  private readonly optionalChecks = new Set<string>();
  private readonly details = new Map<string, () => unknown>();
  /** Run in reverse order of registration on close: what was built last stops first. */
  private readonly closers: Array<{ name: string; close: () => Promise<unknown> }> = [];
  /** Parts of the start-up line; a function is read when the line is written (a backend still connecting). */
  private readonly descriptions: Array<string | (() => string)> = [];
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
    this.bus = parts.bus;
    this.cache = parts.cache;
    this.redis = parts.redis;
    this.relay = parts.relay;
    this.projections = parts.projections;
    this.config = parts.config;
    this.leaderboards = parts.leaderboards;
    this.anticheat = parts.anticheat;
    this.trades = parts.trades;
    this.economy = parts.economy;
    this.matchmaking = parts.matchmaking;
    this.fleet = parts.fleet ?? new Fleet(parts.sql, parts.router, parts.players, { advertiseUrl: undefined, leaseMs: parts.settings.leaseMs }, parts.log);
    this.sql.shards.forEach((s) => this.addReadinessCheck(`shard-${s.index}`, () => s.query('SELECT 1')));
    this.sql.replicas.forEach((r, i) => {
      if (r) this.addReadinessCheck(`replica-${i}`, () => r.query('SELECT 1'));
    });
    if (this.sql instanceof PgliteCluster) {
      const embedded = this.sql;
      this.addReadinessCheck('data-dir', () => embedded.checkDisk());
    }
    this.describeBackend(`players: ${this.sql.describe()}`);
    this.describeBackend(`cache: ${this.cache.describe()}`);
    this.describeBackend(() => `stream: ${this.bus.describe()}`);
    if (this.bus.kind === 'jetstream') this.addReadinessCheck('nats', () => this.bus.ping());
  }

  /** Adds a backend to /readyz: `check` resolves when the backend answers. An optional one is reported but does not make the instance unready. */
  addReadinessCheck(name: string, check: Check, options: { optional?: boolean } = {}): void {
    this.checks.set(name, check);
    if (options.optional) this.optionalChecks.add(name);
    else this.optionalChecks.delete(name);
  }

  /** Whether the instance should take traffic: every backend that is not optional is up. */
  isReady(backends: Record<string, BackendStatus>): boolean {
    return Object.entries(backends).every(([name, status]) => status === 'up' || this.optionalChecks.has(name));
  }

  /** Adds a detail (not a check) to /readyz, e.g. the state of a move of slots. */
  addReadinessDetail(name: string, detail: () => unknown): void {
    this.details.set(name, detail);
  }

  readinessDetails(): Record<string, unknown> {
    return Object.fromEntries([...this.details].map(([name, detail]) => [name, detail()]));
  }

  /** Registers a step of the shutdown; steps run in reverse order of registration. */
  onClose(name: string, close: () => Promise<unknown>): void {
    this.closers.push({ name, close });
  }

  /** Adds a part to the start-up line that says which backends are in use. */
  describeBackend(text: string | (() => string)): void {
    this.descriptions.push(text);
  }

  /** One line saying which backends are in use, without secrets. */
  describe(): string {
    return this.descriptions.map((d) => (typeof d === 'string' ? d : d())).join('; ');
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

/** Opens the SQL cluster the settings describe (PostgreSQL shards, or the embedded PGlite), without migrating it. */
export async function openSql(settings: Settings, options: Pick<CreateRealmOptions, 'sql' | 'inMemory'> = {}): Promise<SqlCluster> {
  if (options.sql) return typeof options.sql === 'function' ? options.sql() : options.sql;
  if (settings.databaseUrls.length > 0) return new PgCluster(settings.databaseUrls, settings.databaseReplicaUrls);
  return PgliteCluster.open(options.inMemory ? undefined : settings.dataDir, settings.shards, { minFreeBytes: settings.minFreeDiskBytes });
}

function openBus(settings: Settings, log: Logger): EventBus {
  const url = settings.natsUrl;
  if (!url) return new MemoryBus();
  // Start even if NATS is down: appends fill the outbox, which drains once the stream is reachable.
  const bus = new DeferredBus(
    'jetstream',
    'NATS JetStream',
    async () => JetStreamBus.open(await connectNats(url, { waitOnFirstConnect: true }), { stream: settings.natsStream, subjectPrefix: settings.natsSubjectPrefix, replicas: settings.natsReplicas }),
    (err) => log.warn({ err }, 'NATS JetStream is not reachable yet; events wait in the outbox'),
  );
  // The start-up line may have said "connecting": say when it is connected.
  bus.whenReady().then((ready) => log.info(`stream connected: ${ready.describe()}`), () => {});
  return bus;
}

/** The shared Redis of the deployment: a Redis Cluster (REDIS_CLUSTER_NODES), a Redis (REDIS_URL), or none. */
export function mainRedisTarget(settings: Pick<Settings, 'redisUrl' | 'redisClusterNodes'>): RedisTarget | undefined {
  if (settings.redisClusterNodes.length > 0) return { clusterNodes: settings.redisClusterNodes };
  return settings.redisUrl;
}

interface BoardStores {
  stores: LeaderboardStores;
  /** Redis clients by readiness name (`redis`, `redis-<region>`). */
  clients: Map<string, RedisClient>;
  description: string;
}

/** The leaderboards' sorted sets: Redis (or a Redis Cluster) when configured (a region may have its own), else in-process. */
async function openBoardStores(settings: Settings, log: Logger): Promise<BoardStores> {
  const regionUrls = Object.entries(settings.redisRegionUrls);
  const mainTarget = mainRedisTarget(settings);
  if (mainTarget === undefined) {
    if (regionUrls.length > 0) throw new Error('REDIS_REGION_URLS needs REDIS_URL or REDIS_CLUSTER_NODES too (the Redis of boards without regions and of unlisted regions)');
    return { stores: { default: new MemorySortedSets() }, clients: new Map(), description: 'leaderboards: in-process sorted sets' };
  }
  const clients = new Map<string, RedisClient>();
  const open = (name: string, target: RedisTarget): SortedSetStore => {
    const client = createRedis(target, { name: `realmstate-${name}` });
    clients.set(name, client);
    return new RedisSortedSets(client, { keyPrefix: settings.redisKeyPrefix, label: `${name} (${describeRedis(target)})` });
  };
  const main = open('redis', mainTarget);
  const regions: Record<string, SortedSetStore> = {};
  for (const [region, url] of regionUrls) regions[region] = url === settings.redisUrl ? main : open(`redis-${region}`, url);
  await Promise.all([...clients].map(async ([name, client]) => {
    // Start anyway: readiness says down, requests needing it get 503, and boards are rebuilt once it answers.
    if (!(await connectRedis(client))) log.warn({ redis: name }, 'Redis does not answer yet; leaderboards on it are unavailable until it does');
  }));
  const listed = regionUrls.map(([region, url]) => `${region}=${describeRedis(url)}`).join(', ');
  return { stores: { default: main, regions }, clients, description: `leaderboards: Redis ${describeRedis(mainTarget)}${listed ? `, regions ${listed}` : ''}` };
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
  // Undone in reverse if the start fails; registered on the realm (also undone in reverse) once it exists.
  const closeSteps: Array<{ name: string; close: () => Promise<unknown> }> = [{ name: 'sql', close: () => sql.close() }];
  try {
    await migrateCluster(sql);
    // One Redis client (REDIS_URL) serves the player cache and the leaderboards; regions may add their own.
    const boards = await openBoardStores(settings, log);
    const redisClients = [...boards.clients.values()];
    closeSteps.push({ name: 'redis', close: () => Promise.all(redisClients.map((c) => c.quit().catch(() => c.disconnect()))) });
    const redis = boards.clients.get('redis');
    const cache: PlayerCache = redis
      ? new RedisPlayerCache(redis, { keyPrefix: settings.redisKeyPrefix, ttlMs: settings.engine.cacheTtlMs })
      : new MemoryPlayerCache({ maxEntries: settings.engine.cacheMaxEntries, ttlMs: settings.engine.cacheTtlMs });
    const bus = openBus(settings, log);
    closeSteps.push({ name: 'bus', close: () => bus.close() });
    const shardMap = await openShardMap(sql, settings, log, metrics);
    closeSteps.push({ name: 'shard-map', close: () => shardMap.close() });
    const router: ShardRouter = shardMap.router;
    const players = new PlayerStore(sql, router, settings.engine, metrics, log);
    const cacheUpdater = new CacheUpdater(cache, metrics, log);
    closeSteps.push({ name: 'cache-updater', close: async () => cacheUpdater.stop() });
    const queries = new PlayerQueries(players, sql, router, cache, cacheUpdater, metrics, log);
    const relay = new OutboxRelay(sql.shards, bus, metrics, log, options.relay);
    const projections = new ProjectionRunner(bus, sql.shards, router, metrics, log);
    players.onCommit((shard, committed) => {
      relay.wake(shard);
      return cacheUpdater.write(committed.map((c) => c.state));
    });
    const leaderboards = new LeaderboardService({ stores: boards.stores, sql, router, metrics, log, clock: options.clock, shutdownTimeoutMs: settings.engine.shutdownTimeoutMs });
    closeSteps.push({ name: 'leaderboards', close: () => leaderboards.close() });
    const anticheat = await openAnticheat(settings, log, { sql, router, config, players, queries, leaderboards, metrics, redis });
    closeSteps.push({ name: 'anticheat', close: () => anticheat.close() });
    const trades = new TradeService(players, queries, sql, router, config, log, metrics.registry, options.trades);
    const economy = new EconomyBooks(sql, router, log);
    // Tickets live in Redis when there is one (they outlive any instance), else in this process (embedded: one instance).
    const ticketPool = redis ? new RedisTicketPool(redis, { keyPrefix: settings.redisKeyPrefix, label: describeRedis(mainRedisTarget(settings) ?? '') }) : new MemoryTicketPool();
    const matchmaking = new Matchmaker(ticketPool, config, players, queries, bus, metrics, log, options.matchmaking);
    const fleet = new Fleet(sql, router, players, { advertiseUrl: settings.advertiseUrl, leaseMs: settings.leaseMs }, log);
    const realm = new Realm({ settings, log, metrics, keys, sql, router, players, queries, bus, cache, redis, relay, projections, config, leaderboards, anticheat, trades, economy, matchmaking, fleet });
    // A region's own Redis down takes only that region's boards down: reported, but the instance stays ready.
    for (const [name, client] of boards.clients) realm.addReadinessCheck(name, () => client.ping(), { optional: name !== 'redis' });
    realm.shardMap = shardMap;
    realm.addReadinessDetail('shards', () => shardMap.details());
    realm.describeBackend(boards.description);
    realm.describeBackend(describeConfig(config, settings));
    // Closed in reverse: the config stops first, players flush, the relay publishes what they committed, the
    // consumers stop, the leaderboards write their durable copy, then the connections close.
    for (const step of closeSteps) realm.onClose(step.name, step.close);
    realm.onClose('projections', () => projections.stop());
    // Rows the relay cannot publish now stay in the outbox (durable) for the next start: not a failed shutdown.
    realm.onClose('relay', async () => {
      if (!(await relay.close(Date.now() + 5000))) log.warn('stream unreachable at shutdown; unpublished events stay in the outbox');
    });
    // After the players flushed: the leases are given up only once everything acknowledged is committed.
    realm.onClose('fleet', () => fleet.stop());
    realm.onClose('players', () => players.close());
    realm.onClose('trades', () => trades.close());
    realm.onClose('config', () => config.close());

    // The live config is deep-frozen; the board registry takes plain copies.
    const configBoards = (c: typeof config.current) => c.config.leaderboards.map((b) => ({ ...b, regions: b.regions ? [...b.regions] : undefined }));
    leaderboards.setConfigBoards(configBoards(config.current));
    config.subscribe((next) => leaderboards.setConfigBoards(configBoards(next)));
    players.start();
    await anticheat.start();
    await fleet.start();
    if (fleet.enabled) realm.describeBackend(`fleet: instance ${fleet.id} at ${settings.advertiseUrl}, leases of ${settings.leaseMs} ms`);
    await leaderboards.start();
    await projections.start(statBoardsProjection(leaderboards, queries));
    await projections.start(economy.projection());
    trades.start();
    realm.describeBackend(ticketPool.describe());
    matchmaking.start();
    // Stops first: no claim or rating append runs while the players flush.
    realm.onClose('matchmaking', () => matchmaking.stop());
    return realm;
  } catch (err) {
    for (const step of closeSteps.reverse()) await step.close().catch(() => {});
    await config.close().catch(() => {});
    throw err;
  }
}

/**
 * Boards that follow a player stat are fed from the event stream: for each player in a batch, the state at least
 * as new as its last event (the cache may lag the relay by a moment; then the primary) sets the boards' scores.
 */
function statBoardsProjection(leaderboards: LeaderboardService, queries: PlayerQueries): Projection {
  return {
    name: 'leaderboard-stats',
    types: ['stat.add', 'stat.set', 'stat.max', 'state.restore', ...TRADE_EVENT_TYPES],
    handle: async (events) => {
      const byPlayer = new Map<string, RecordedEvent[]>();
      for (const e of events.flatMap(asStatEvents)) {
        if (e.type !== 'state.restore' && !leaderboards.followsStat((e.data as { stat?: string }).stat ?? '')) continue;
        const list = byPlayer.get(e.playerId) ?? [];
        list.push({ seq: e.seq, type: e.type as RecordedEvent['type'], data: e.data as RecordedEvent['data'], recordedAt: e.recordedAt });
        byPlayer.set(e.playerId, list);
      }
      await Promise.all(
        [...byPlayer].map(async ([playerId, list]) => {
          const last = (list.at(-1) as RecordedEvent).seq;
          let read = await queries.get(playerId);
          if (read.seq < last) read = await queries.get(playerId, 'strong');
          await leaderboards.followStats(read.state, list);
        }),
      );
    },
  };
}

/**
 * Anti-cheat: rate windows in Redis when there is one (every instance counts in the same windows), else in process;
 * bans announced over Redis, else NATS (a single embedded instance needs no announcement); flags published on
 * NATS subject `realmstate.anticheat.flagged` (else the Redis channel of that name, else in process).
 */
async function openAnticheat(
  settings: Settings,
  log: Logger,
  parts: Pick<RealmParts, 'sql' | 'router' | 'config' | 'players' | 'queries' | 'leaderboards' | 'metrics' | 'redis'>,
): Promise<Anticheat> {
  const channel = async (name: string): Promise<Broadcast | undefined> => {
    if (settings.natsUrl && name === 'flagged') {
      try {
        return new NatsBroadcast(await connectNats(settings.natsUrl, { name: `realmstate-anticheat-${name}` }), `realmstate.anticheat.${name}`, { ownsConnection: true });
      } catch (err) {
        log.warn({ err }, 'NATS is not reachable; anti-cheat flags are not published there');
      }
    }
    const redisTarget = mainRedisTarget(settings);
    if (redisTarget) return new RedisBroadcast(redisTarget, `${settings.redisKeyPrefix}anticheat.${name}`);
    if (settings.natsUrl) {
      try {
        return new NatsBroadcast(await connectNats(settings.natsUrl, { name: `realmstate-anticheat-${name}` }), `realmstate.anticheat.${name}`, { ownsConnection: true });
      } catch (err) {
        log.warn({ err }, `NATS is not reachable; anti-cheat ${name} announcements stay in this instance`);
      }
    }
    return name === 'flagged' ? new MemoryBroadcastHub().broadcast() : undefined;
  };
  const windows = parts.redis ? new RedisRateWindows(parts.redis, settings.redisKeyPrefix, describeRedis(mainRedisTarget(settings) ?? '')) : new MemoryRateWindows();
  return new Anticheat({ ...parts, windows, banBroadcast: await channel('bans'), flagged: await channel('flagged'), log });
}

/** The game config of settings.configFile, announcing accepted changes over Redis when there is one, else NATS. */
async function openGameConfig(settings: Settings, log: Logger, metrics: Metrics): Promise<GameConfig> {
  let broadcast: Broadcast | undefined;
  const redisTarget = mainRedisTarget(settings);
  if (settings.configFile !== undefined && redisTarget !== undefined) {
    broadcast = new RedisBroadcast(redisTarget, `${settings.redisKeyPrefix}config`);
  } else if (settings.configFile !== undefined && settings.natsUrl) {
    // Not under the events prefix: the JetStream stream would store these. Deployments sharing a NATS server hear
    // each other's announcements; that costs a re-read of the file, never a wrong config (each trusts its own file).
    try {
      broadcast = new NatsBroadcast(await connectNats(settings.natsUrl, { name: 'realmstate-config' }), 'realmstate.config', { ownsConnection: true });
    } catch (err) {
      // The server must start without NATS (appends wait in the outbox); this instance then only hears its own file.
      log.warn({ err }, 'NATS is not reachable; config changes of other instances will not be announced to this one');
    }
  }
  return GameConfig.open({ file: settings.configFile, broadcast, log, metrics });
}

function describeConfig(config: GameConfig, settings: Settings): string {
  if (config.file === undefined) return 'game config: built-in defaults';
  const { version, hash } = config.current;
  const announced = mainRedisTarget(settings) !== undefined ? 'announced over Redis' : settings.natsUrl ? 'announced over NATS' : 'not announced (no Redis or NATS)';
  return `game config: ${config.file} version ${version} hash ${hash}, changes ${announced}`;
}
