// The HTTP server (fastify) in front of a realm.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import type { Realm } from '../realm.js';
import { chargedElsewhere, installFleet } from '../fleet/index.js';
import { installInternalAppends } from '../fleet/internal-appends.js';
import { installAuth } from './auth.js';
import { clientErrorHandler, MAX_HEADER_BYTES } from './client-errors.js';
import { installClosingGuard } from './closing-guard.js';
import { frameworkErrorHandler, installErrorHandling } from './error-handler.js';
import { RedisTokenBuckets } from '../backends/redis/redis-token-buckets.js';
import { installRateLimits, type RateLimitOptions } from './rate-limit.js';
import { zodValidatorCompiler } from './route-spec.js';
import { configRoutes } from './routes/config.js';
import { leaderboardRoutes } from './routes/leaderboards.js';
import { matchmakingRoutes } from './routes/matchmaking.js';
import { shardRoutes } from './routes/shards.js';
import { opsRoutes } from './routes/ops.js';
import { overviewRoutes } from './routes/overview.js';
import { consoleRoutes } from '../console/routes.js';
import { playerRoutes } from './routes/players.js';
import { anticheatRoutes } from './routes/anticheat.js';
import { installAudit } from '../anticheat/index.js';
import { tradeRoutes } from './routes/trades.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface ServerOptions {
  /** Close a request that has not finished arriving after this long (slow clients). Default 30000 ms. */
  requestTimeoutMs?: number;
  /** Close a connection whose request headers have not all arrived after this long (slowloris). Default 10000 ms, at most requestTimeoutMs. */
  headersTimeoutMs?: number;
  /** How often node checks open connections against the two timeouts above. Default 1000 ms. */
  timeoutCheckIntervalMs?: number;
  /** Memory cap and clock of the rate-limit buckets (the rates come from the game config). Default: rate-limit.ts. */
  rateLimit?: RateLimitOptions;
}

export const DEFAULT_SERVER_OPTIONS: Readonly<Required<Omit<ServerOptions, 'rateLimit'>>> = Object.freeze({
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  timeoutCheckIntervalMs: 1000,
});

/** With Redis, the rate limits hold for the whole fleet (a bucket per key and player in Redis); without, per process. */
function fleetRateLimits(realm: Realm): RateLimitOptions {
  const redis = realm.redis;
  if (!redis) return {};
  let warnedAt = 0;
  return {
    shared: new RedisTokenBuckets(redis, { keyPrefix: realm.settings.redisKeyPrefix }),
    sharedOptions: {
      onStoreError: (err) => {
        if (Date.now() - warnedAt < 10_000) return;
        warnedAt = Date.now();
        realm.log.warn({ err }, 'Redis unreachable for the fleet-wide rate limits; limiting per process meanwhile');
      },
    },
  };
}

export async function buildServer(realm: Realm, options: ServerOptions = {}): Promise<FastifyInstance> {
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_SERVER_OPTIONS.requestTimeoutMs;
  const app: FastifyInstance = Fastify({
    loggerInstance: realm.log as FastifyBaseLogger,
    // Per-request log lines would dominate the cost of a cached read; metrics cover requests.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout,
    // Node checks these timeouts on a timer (30 s by default), so a slow client could hold its socket that much longer.
    http: {
      headersTimeout: Math.min(options.headersTimeoutMs ?? DEFAULT_SERVER_OPTIONS.headersTimeoutMs, requestTimeout),
      requestTimeout,
      connectionsCheckingInterval: options.timeoutCheckIntervalMs ?? DEFAULT_SERVER_OPTIONS.timeoutCheckIntervalMs,
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    // closing-guard.ts answers instead, in the documented shape.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 200 },
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  installErrorHandling(app);
  installClosingGuard(app);
  installAuth(app, realm.keys);
  const adminKey = realm.keys.adminKey;
  const charged = realm.fleet.enabled ? (req: FastifyRequest) => chargedElsewhere(req, adminKey) : undefined;
  installRateLimits(app, realm.config, { ...fleetRateLimits(realm), chargedElsewhere: charged, ...options.rateLimit });
  const batchReader = installFleet(app, realm.fleet, adminKey);
  installInternalAppends(app, realm.fleet, realm.players, realm.keys.adminKey);

  // The labelled series of each route, method and status, looked up once: prom-client hashes the labels on every
  // `labels()` call, and this runs for every request. Routes and statuses are few, so the map stays small.
  const series = new Map<string, { requests: { inc: () => void }; duration: { observe: (seconds: number) => void } }>();
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const key = `${route} ${req.method} ${reply.statusCode}`;
    let s = series.get(key);
    if (!s) {
      s = { requests: realm.metrics.httpRequests.labels(route, req.method, String(reply.statusCode)), duration: realm.metrics.httpDuration.labels(route, req.method) };
      series.set(key, s);
    }
    s.requests.inc();
    s.duration.observe(reply.elapsedTime / 1000);
    done();
  });

  installAudit(app, realm.anticheat.audit);

  opsRoutes(app, realm, VERSION);
  playerRoutes(app, realm, batchReader);
  configRoutes(app, realm);
  leaderboardRoutes(app, realm);
  anticheatRoutes(app, realm);
  tradeRoutes(app, realm);
  matchmakingRoutes(app, realm);
  shardRoutes(app, realm);
  overviewRoutes(app, realm);
  consoleRoutes(app);
  await app.ready();
  return app;
}
