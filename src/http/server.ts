// The HTTP server (fastify) in front of a realm.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import type { Realm } from '../realm.js';
import { installAuth } from './auth.js';
import { installErrorHandling } from './error-handler.js';
import { zodValidatorCompiler } from './route-spec.js';
import { configRoutes } from './routes/config.js';
import { leaderboardRoutes } from './routes/leaderboards.js';
import { opsRoutes } from './routes/ops.js';
import { playerRoutes } from './routes/players.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface ServerOptions {
  /** Close a request that has not finished arriving after this long (slow clients). Default 30000 ms. */
  requestTimeoutMs?: number;
}

export async function buildServer(realm: Realm, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: realm.log as FastifyBaseLogger,
    // Per-request log lines would dominate the cost of a cached read; metrics cover requests.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  installErrorHandling(app);
  installAuth(app, realm.keys);

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    realm.metrics.httpRequests.labels(route, req.method, String(reply.statusCode)).inc();
    realm.metrics.httpDuration.labels(route, req.method).observe(reply.elapsedTime / 1000);
  });

  opsRoutes(app, realm, VERSION);
  playerRoutes(app, realm);
  configRoutes(app, realm);
  leaderboardRoutes(app, realm);
  await app.ready();
  return app;
}
