// The OpenAPI 3.1 document, generated from the routes' own zod schemas.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HTTP_STATUS } from '../errors.js';
import { registeredRoutes, type RegisteredRoute } from './route-spec.js';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', enum: Object.keys(HTTP_STATUS) }, message: { type: 'string' } } },
    currentSeq: { type: 'integer', description: 'present on 409 conflict' },
  },
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const js = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s }));
}

/** The route's documented errors, plus 429 wherever a rate limit applies. */
function errors(route: RegisteredRoute): number[] {
  const out = new Set(route.errors);
  if (route.access === 'game') out.add(429);
  return [...out].sort((a, b) => a - b);
}

export function buildOpenApi(app: FastifyInstance, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of registeredRoutes(app)) {
    const op: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      responses: {
        200: { description: 'OK' },
        ...Object.fromEntries(errors(route).map((s) => [s, { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }])),
      },
    };
    // Which rate limits apply (rate-limit.ts): the game key's, and the player's when the route names one.
    if (route.access === 'game') op['x-rate-limit'] = route.perPlayerLimit ? ['key', 'player'] : ['key'];
    if (route.access !== 'public') op.security = [{ bearer: [] }];
    if (route.access === 'admin') op.description = 'Needs the admin key.';
    if (route.body) op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Realmstate', version, description: 'Persistence and live-ops backend of an MMO. See API.md for the contract.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { Error: errorSchema } },
    paths,
  };
}
