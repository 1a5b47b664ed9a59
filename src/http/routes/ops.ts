// Operations routes: liveness, readiness, Prometheus metrics, the OpenAPI document. No key needed.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Realm } from '../../realm.js';
import { buildOpenApi } from '../openapi.js';
import { defineRoute } from '../route-spec.js';

// What the routes answer: the OpenAPI document and the typed client are made from these.
export const healthSchema = z.object({ status: z.literal('ok') });
export const readinessSchema = z.object({
  backends: z.record(z.string(), z.enum(['up', 'down'])).describe('backend name → up or down'),
  details: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('what the capabilities add, by name: `shards` is `{"epoch", "move": null | "<kind> <state>: <done>/<total> slots, <rows> rows"}`'),
});
export const metricsSchema = z.string().describe('Prometheus text exposition format');
export const openApiSchema = z.record(z.string(), z.unknown()).describe('an OpenAPI 3.1 document');

export function opsRoutes(app: FastifyInstance, realm: Realm, version: string): void {
  defineRoute(app, {
    method: 'GET', url: '/healthz', operationId: 'health', summary: 'Liveness: 200 while the process runs', tag: 'operations', access: 'public',
    responses: { 200: healthSchema },
    handler: async () => ({ status: 'ok' }),
  });
  defineRoute(app, {
    method: 'GET', url: '/readyz', operationId: 'readiness', summary: 'Readiness: every backend with its status; 503 when one the instance needs is down (a single leaderboard region is not)', tag: 'operations', access: 'public',
    // 503 has the same body as 200 (it says which backend is down).
    responses: { 200: readinessSchema, 503: readinessSchema },
    errors: [503],
    handler: async (_req, reply) => {
      const backends = await realm.readiness();
      const ready = realm.isReady(backends);
      void reply.status(ready ? 200 : 503);
      return { backends, details: realm.readinessDetails() };
    },
  });
  defineRoute(app, {
    method: 'GET', url: '/metrics', operationId: 'metrics', summary: 'Prometheus metrics', tag: 'operations', access: 'public',
    responses: { 200: metricsSchema },
    contentType: 'text/plain',
    handler: async (_req, reply) => {
      void reply.header('content-type', realm.metrics.registry.contentType);
      return realm.metrics.registry.metrics();
    },
  });
  let doc: Record<string, unknown> | undefined;
  defineRoute(app, {
    method: 'GET', url: '/openapi.json', operationId: 'openApi', summary: 'This OpenAPI document', tag: 'operations', access: 'public',
    responses: { 200: openApiSchema },
    handler: async () => (doc ??= buildOpenApi(app, version)),
  });
}
