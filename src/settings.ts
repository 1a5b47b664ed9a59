// Infrastructure settings from the environment, validated before anything starts.
// Every variable is listed in ENV_VARS (the README's table is generated from the same list).
import { resolve } from 'node:path';
import { z } from 'zod';

/** Tuning of the persistence engine. Each field's default is in DEFAULT_ENGINE_OPTIONS. */
export interface EngineOptions {
  /** Most events one group-commit transaction carries. Default 1000. */
  groupCommitMaxEvents: number;
  /** How long the first `sync` append of a group waits for company before the commit. Default 5 ms. */
  groupCommitMaxDelayMs: number;
  /** Longest time a `batched` append stays uncommitted. Default 1000 ms. */
  batchedFlushMs: number;
  /** Period of the write-behind flush of the `players` row. Default 5000 ms. */
  writeBehindIntervalMs: number;
  /** Flush the `players` rows early once this many players are dirty. Default 10000. */
  writeBehindMaxDirty: number;
  /** Past this many dirty or uncommitted players, `batched` appends get 503 instead of growing memory. Default 100000. */
  writeBehindMaxPending: number;
  /** Take a snapshot every this many events of a player. Default 100. */
  snapshotEvery: number;
  /** Take a snapshot of an active player at least this often. Default 300000 ms (5 min). */
  snapshotIntervalMs: number;
  /** Players kept in memory; only clean players are evicted. Default 100000. */
  maxActivePlayers: number;
  /** Time-to-live of a cache entry; it only bounds memory, entries are replaced on every commit. Default 300000 ms. */
  cacheTtlMs: number;
  /** Entries of the in-process cache used when there is no Redis. Default 100000. */
  cacheMaxEntries: number;
  /** Longest a shutdown waits for pending writes before giving up. Default 30000 ms. */
  shutdownTimeoutMs: number;
}

export const DEFAULT_ENGINE_OPTIONS: Readonly<EngineOptions> = Object.freeze({
  groupCommitMaxEvents: 1000,
  groupCommitMaxDelayMs: 5,
  batchedFlushMs: 1000,
  writeBehindIntervalMs: 5000,
  writeBehindMaxDirty: 10_000,
  writeBehindMaxPending: 100_000,
  snapshotEvery: 100,
  snapshotIntervalMs: 300_000,
  maxActivePlayers: 100_000,
  cacheTtlMs: 300_000,
  cacheMaxEntries: 100_000,
  shutdownTimeoutMs: 30_000,
});

export interface Settings {
  host: string;
  port: number;
  dataDir: string;
  /** One PostgreSQL URL per shard; empty means embedded PGlite. */
  databaseUrls: string[];
  /** One replica URL per shard ('' for a shard without a replica); empty means none. */
  databaseReplicaUrls: string[];
  /** Number of shards: the number of DATABASE_URLS, else REALMSTATE_SHARDS (default 4). */
  shards: number;
  redisUrl: string | undefined;
  /** Seed nodes of a Redis Cluster (`host:port`), used instead of REDIS_URL; empty when not set. */
  redisClusterNodes: string[];
  redisRegionUrls: Record<string, string>;
  /** Prefix of every Redis key, so several deployments or tests can share one Redis. Default `rs:`. */
  redisKeyPrefix: string;
  /** One NATS server, or a comma-separated list of the servers of a NATS cluster. */
  natsUrl: string | undefined;
  /** Replicas of the JetStream stream when Realmstate creates it (1, 3 or 5 on a cluster). Default 1. */
  natsReplicas: number;
  /** JetStream stream that receives the events. Default `REALMSTATE_EVENTS`. */
  natsStream: string;
  /** Subject prefix of published events: `<prefix>.<type>`. Default `realmstate.events`. */
  natsSubjectPrefix: string;
  configFile: string | undefined;
  apiKey: string | undefined;
  adminKey: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Embedded mode: refuse writes (503) while the data dir has less free space than this. Default 64 MiB. */
  minFreeDiskBytes: number;
  engine: EngineOptions;
  /** The address other instances forward requests to; set: this instance shares the players with a fleet. */
  advertiseUrl: string | undefined;
  /** A dead instance's players are served by the others within this long. Default 10000 ms. */
  leaseMs: number;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

interface EnvVar {
  name: string;
  default: string;
  doc: string;
}

const ENGINE_ENV: ReadonlyArray<[keyof EngineOptions, string, string]> = [
  ['groupCommitMaxEvents', 'REALMSTATE_GROUP_COMMIT_MAX_EVENTS', 'most events in one group-commit transaction'],
  ['groupCommitMaxDelayMs', 'REALMSTATE_GROUP_COMMIT_MAX_DELAY_MS', 'longest a sync append waits to share a commit (less once the writers of the last commit are back)'],
  ['batchedFlushMs', 'REALMSTATE_BATCHED_FLUSH_MS', 'longest a `batched` append stays uncommitted'],
  ['writeBehindIntervalMs', 'REALMSTATE_WRITE_BEHIND_INTERVAL_MS', 'period of the `players` row flush'],
  ['writeBehindMaxDirty', 'REALMSTATE_WRITE_BEHIND_MAX_DIRTY', 'flush early at this many dirty players'],
  ['writeBehindMaxPending', 'REALMSTATE_WRITE_BEHIND_MAX_PENDING', 'past this many pending players, `batched` appends get 503'],
  ['snapshotEvery', 'REALMSTATE_SNAPSHOT_EVERY', 'snapshot every N events of a player'],
  ['snapshotIntervalMs', 'REALMSTATE_SNAPSHOT_INTERVAL_MS', 'snapshot an active player at least this often'],
  ['maxActivePlayers', 'REALMSTATE_MAX_ACTIVE_PLAYERS', 'players kept in memory (only clean ones are evicted)'],
  ['cacheTtlMs', 'REALMSTATE_CACHE_TTL_MS', 'cache entry time-to-live (bounds memory only)'],
  ['cacheMaxEntries', 'REALMSTATE_CACHE_MAX_ENTRIES', 'entries of the in-process cache used without Redis'],
  ['shutdownTimeoutMs', 'REALMSTATE_SHUTDOWN_TIMEOUT_MS', 'longest a shutdown waits for pending writes'],
];

/** Every environment variable Realmstate reads, with its default and meaning. */
export const ENV_VARS: readonly EnvVar[] = [
  { name: 'HOST', default: '127.0.0.1', doc: 'address the HTTP server listens on' },
  { name: 'PORT', default: '8080', doc: 'port the HTTP server listens on' },
  { name: 'REALMSTATE_DATA_DIR', default: './.realmstate', doc: 'embedded database, generated keys' },
  { name: 'DATABASE_URLS', default: '(embedded PGlite)', doc: 'comma-separated PostgreSQL URLs, one per shard' },
  { name: 'DATABASE_REPLICA_URLS', default: '(none)', doc: 'comma-separated replica URLs, one per shard (empty entry: no replica)' },
  { name: 'REALMSTATE_SHARDS', default: '4', doc: 'shard count in embedded mode (one schema each); raising it adds empty shards, lowering it needs a drain first; must match DATABASE_URLS when both are set' },
  { name: 'REDIS_URL', default: '(in-process)', doc: 'Redis for the cache and leaderboards' },
  { name: 'REDIS_CLUSTER_NODES', default: '(none)', doc: '`host:port,…`: seed nodes of a Redis Cluster, used instead of REDIS_URL' },
  { name: 'REDIS_REGION_URLS', default: '(REDIS_URL)', doc: '`region=url,…`: a Redis per leaderboard region' },
  { name: 'REDIS_KEY_PREFIX', default: 'rs:', doc: 'prefix of every Redis key' },
  { name: 'NATS_URL', default: '(in-process bus)', doc: 'NATS server with JetStream for the event stream; a comma-separated list for a NATS cluster' },
  { name: 'REALMSTATE_NATS_REPLICAS', default: '1', doc: 'replicas of the JetStream stream when Realmstate creates it (3 on a 3-server cluster)' },
  { name: 'REALMSTATE_NATS_STREAM', default: 'REALMSTATE_EVENTS', doc: 'JetStream stream name' },
  { name: 'REALMSTATE_NATS_SUBJECT_PREFIX', default: 'realmstate.events', doc: 'events go to `<prefix>.<type>`' },
  { name: 'REALMSTATE_CONFIG', default: '(built-in defaults)', doc: 'game config YAML file, hot reloaded' },
  { name: 'REALMSTATE_API_KEY', default: '(generated, stored in the data dir)', doc: 'game-server key' },
  { name: 'REALMSTATE_ADMIN_KEY', default: '(generated, stored in the data dir)', doc: 'admin key (also valid on game-server routes)' },
  { name: 'LOG_LEVEL', default: 'info', doc: 'pino level: fatal, error, warn, info, debug, trace, silent' },
  { name: 'REALMSTATE_MIN_FREE_DISK_MB', default: '64', doc: 'embedded mode: below this much free space in the data dir, writes get 503 until space returns' },
  ...ENGINE_ENV.map(([field, name, doc]) => ({ name, default: String(DEFAULT_ENGINE_OPTIONS[field]), doc })),
  { name: 'REALMSTATE_ADVERTISE_URL', default: '(none: owns every player)', doc: 'address other instances forward to; set it to share the players with a fleet' },
  { name: 'REALMSTATE_LEASE_MS', default: '10000', doc: 'a dead instance\'s players move to the others within this long' },
];

const PLAIN_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function parseUrl(problems: string[], variable: string, raw: string, protocols: string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${variable}: "${redact(raw)}" is not a URL (expected ${protocols[0]}//host:port/…)`);
    return undefined;
  }
  if (!protocols.includes(url.protocol)) {
    problems.push(`${variable}: "${redact(raw)}" must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    return undefined;
  }
  if (url.hostname === '') {
    problems.push(`${variable}: "${redact(raw)}" has no host`);
    return undefined;
  }
  return raw;
}

/** Hides a password in a URL so settings errors never print secrets. */
export function redact(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return raw.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

function splitList(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((s) => s.trim());
}

const intSchema = (min: number) => z.coerce.number().int().min(min).max(Number.MAX_SAFE_INTEGER);

function parseInteger(problems: string[], variable: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const parsed = intSchema(min).safeParse(raw.trim());
  if (!parsed.success || !/^-?\d+$/.test(raw.trim())) {
    problems.push(`${variable}: "${raw}" must be an integer ≥ ${min}`);
    return fallback;
  }
  return parsed.data;
}

/** Reads and validates the settings; throws SettingsError listing every bad variable at once. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const problems: string[] = [];

  const port = parseInteger(problems, 'PORT', env.PORT, 8080, 0);
  if (port > 65535) problems.push(`PORT: "${env.PORT}" must be at most 65535`);

  for (const name of ['DATABASE_URLS', 'DATABASE_REPLICA_URLS'] as const) {
    if (/;\s*postgres(ql)?:\/\//.test(env[name] ?? '')) problems.push(`${name}: separate the URLs with commas, not ";"`);
  }
  const databaseUrls = splitList(env.DATABASE_URLS)
    .map((u) => parseUrl(problems, 'DATABASE_URLS', u, ['postgres:', 'postgresql:']))
    .filter((u): u is string => u !== undefined);
  const replicaRaw = splitList(env.DATABASE_REPLICA_URLS);
  const databaseReplicaUrls = replicaRaw.map((u) => (u === '' ? '' : (parseUrl(problems, 'DATABASE_REPLICA_URLS', u, ['postgres:', 'postgresql:']) ?? '')));
  if (replicaRaw.length > 0 && databaseUrls.length === 0) problems.push('DATABASE_REPLICA_URLS needs DATABASE_URLS');
  if (replicaRaw.length > 0 && replicaRaw.length !== splitList(env.DATABASE_URLS).length) {
    problems.push(`DATABASE_REPLICA_URLS has ${replicaRaw.length} entries but DATABASE_URLS has ${splitList(env.DATABASE_URLS).length}; give one per shard (an empty entry for none)`);
  }

  const shardsRaw = env.REALMSTATE_SHARDS;
  let shards = parseInteger(problems, 'REALMSTATE_SHARDS', shardsRaw, databaseUrls.length > 0 ? databaseUrls.length : 4, 1);
  if (shards > 4096) problems.push(`REALMSTATE_SHARDS: ${shards} is more than the 4096 slots`);
  if (databaseUrls.length > 0) {
    if (shardsRaw !== undefined && shardsRaw.trim() !== '' && shards !== databaseUrls.length) {
      problems.push(`REALMSTATE_SHARDS is ${shards} but DATABASE_URLS names ${databaseUrls.length} databases`);
    }
    shards = databaseUrls.length;
  }

  const redisUrl = env.REDIS_URL?.trim() ? parseUrl(problems, 'REDIS_URL', env.REDIS_URL.trim(), ['redis:', 'rediss:']) : undefined;
  const redisRegionUrls: Record<string, string> = {};
  for (const pair of splitList(env.REDIS_REGION_URLS)) {
    const eq = pair.indexOf('=');
    const region = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!PLAIN_NAME.test(region)) {
      problems.push(`REDIS_REGION_URLS: "${redact(pair)}" must be region=redis://host:port`);
      continue;
    }
    const url = parseUrl(problems, `REDIS_REGION_URLS (${region})`, pair.slice(eq + 1).trim(), ['redis:', 'rediss:']);
    if (url !== undefined) redisRegionUrls[region] = url;
  }
  const redisClusterNodes = splitList(env.REDIS_CLUSTER_NODES);
  for (const node of redisClusterNodes) {
    const m = /^(?:rediss?:\/\/(?:[^@/]*@)?)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})\/?$/.exec(node);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) problems.push(`REDIS_CLUSTER_NODES: "${redact(node)}" must be host:port`);
  }
  if (redisClusterNodes.length > 0 && redisUrl !== undefined) problems.push('REDIS_CLUSTER_NODES and REDIS_URL are both set: give one (REDIS_CLUSTER_NODES for a Redis Cluster)');

  const natsServers = splitList(env.NATS_URL);
  const natsParsed = natsServers.map((u) => parseUrl(problems, 'NATS_URL', u, ['nats:', 'tls:']));
  const natsUrl = natsServers.length > 0 && natsParsed.every((u) => u !== undefined) ? natsServers.join(',') : undefined;
  const natsReplicas = parseInteger(problems, 'REALMSTATE_NATS_REPLICAS', env.REALMSTATE_NATS_REPLICAS, 1, 1);
  if (natsReplicas > 5) problems.push(`REALMSTATE_NATS_REPLICAS: ${natsReplicas} is more than JetStream's 5`);
  if (env.REALMSTATE_NATS_REPLICAS?.trim() && natsUrl === undefined) problems.push('REALMSTATE_NATS_REPLICAS needs NATS_URL');

  const natsStream = env.REALMSTATE_NATS_STREAM?.trim() || 'REALMSTATE_EVENTS';
  if (!PLAIN_NAME.test(natsStream)) problems.push(`REALMSTATE_NATS_STREAM: "${natsStream}" must be 1–64 of A-Z a-z 0-9 _ -`);
  const natsSubjectPrefix = env.REALMSTATE_NATS_SUBJECT_PREFIX?.trim() || 'realmstate.events';
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(natsSubjectPrefix)) {
    problems.push(`REALMSTATE_NATS_SUBJECT_PREFIX: "${natsSubjectPrefix}" must be dot-separated tokens without wildcards`);
  }

  for (const name of ['REALMSTATE_API_KEY', 'REALMSTATE_ADMIN_KEY'] as const) {
    const key = env[name];
    if (key !== undefined && key !== '' && key.length < 16) problems.push(`${name}: a key must be at least 16 characters`);
    // What a bearer header can carry (auth.ts): any other key could never match. The message never shows the key.
    else if (key && !/^[\x21-\x7e]{16,512}$/.test(key)) problems.push(`${name}: a key must be at most 512 printable ASCII characters, without spaces`);
  }
  if (env.REALMSTATE_API_KEY && env.REALMSTATE_API_KEY === env.REALMSTATE_ADMIN_KEY) {
    problems.push('REALMSTATE_API_KEY and REALMSTATE_ADMIN_KEY are the same: every game server would hold the admin key');
  }

  const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  const logLevelRaw = (env.LOG_LEVEL?.trim() || 'info') as Settings['logLevel'];
  if (!logLevels.includes(logLevelRaw)) problems.push(`LOG_LEVEL: "${logLevelRaw}" must be one of ${logLevels.join(', ')}`);

  const minFreeDiskMb = parseInteger(problems, 'REALMSTATE_MIN_FREE_DISK_MB', env.REALMSTATE_MIN_FREE_DISK_MB, 64, 0);

  const engine = { ...DEFAULT_ENGINE_OPTIONS };
  for (const [field, name] of ENGINE_ENV) {
    const min = field === 'groupCommitMaxDelayMs' ? 0 : 1;
    engine[field] = parseInteger(problems, name, env[name], DEFAULT_ENGINE_OPTIONS[field], min);
  }

  const advertiseUrl = env.REALMSTATE_ADVERTISE_URL?.trim() ? parseUrl(problems, 'REALMSTATE_ADVERTISE_URL', env.REALMSTATE_ADVERTISE_URL.trim(), ['http:']) : undefined;
  const leaseMs = parseInteger(problems, 'REALMSTATE_LEASE_MS', env.REALMSTATE_LEASE_MS, 10_000, 200);

  if (problems.length > 0) throw new SettingsError(problems);
  return {
    host: env.HOST?.trim() || '127.0.0.1',
    port,
    dataDir: resolve(env.REALMSTATE_DATA_DIR?.trim() || './.realmstate'),
    databaseUrls,
    databaseReplicaUrls,
    shards,
    redisUrl,
    redisClusterNodes,
    redisRegionUrls,
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'rs:',
    natsUrl,
    natsReplicas,
    natsStream,
    natsSubjectPrefix,
    configFile: env.REALMSTATE_CONFIG?.trim() ? resolve(env.REALMSTATE_CONFIG.trim()) : undefined,
    apiKey: env.REALMSTATE_API_KEY || undefined,
    adminKey: env.REALMSTATE_ADMIN_KEY || undefined,
    logLevel: logLevelRaw,
    minFreeDiskBytes: minFreeDiskMb * 1024 * 1024,
    engine,
    advertiseUrl,
    leaseMs,
  };
}
