// Operations routes: liveness, readiness, Prometheus metrics, the OpenAPI document. No key needed.
import type { FastifyInstance } from 'fastify';
import type { Realm } from '../../realm.js';
import { buildOpenApi } from '../openapi.js';
import { defineRoute } from '../route-spec.js';

export function opsRoutes(app: FastifyInstance, realm: Realm, version: string): void {
  defineRoute(app, {
    method: 'GET', url: '/healthz', summary: 'Liveness: 200 while the process runs', tag: 'operations', access: 'public',
    handler: async () => ({ status: 'ok' }),
  });
  defineRoute(app, {
    method: 'GET', url: '/readyz', summary: 'Readiness: every backend with its status; 503 when one the instance needs is down (a single leaderboard region is not)', tag: 'operations', access: 'public', errors: [503],
    handler: async (_req, reply) => {
      const backends = await realm.readiness();
      const ready = realm.isReady(backends);
      void reply.status(ready ? 200 : 503);
      return { backends };
    },
  });
  defineRoute(app, {
    method: 'GET', url: '/metrics', summary: 'Prometheus metrics', tag: 'operations', access: 'public',
    handler: async (_req, reply) => {
      void reply.header('content-type', realm.metrics.registry.contentType);
      return realm.metrics.registry.metrics();
    },
  });
  let doc: Record<string, unknown> | undefined;
  defineRoute(app, {
    method: 'GET', url: '/openapi.json', summary: 'This OpenAPI document', tag: 'operations', access: 'public',
    handler: async () => (doc ??= buildOpenApi(app, version)),
  });
}
