// The OpenAPI 3.1 document, generated from the route declarations alone (route-spec.ts): their zod schemas give the
// parameters, request bodies and success bodies, and the statuses every route can answer are added here, so a route
// added anywhere is documented completely without this file changing.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HTTP_STATUS, type ErrorCode } from '../errors.js';
import { MAX_HEADER_BYTES } from './client-errors.js';
import { registeredRoutes, type RegisteredRoute } from './route-spec.js';

type JsonSchema = Record<string, unknown>;

export interface OpenApiOptions {
  /** The document's `servers`. Default: one relative server, `/`, so a generator uses wherever it read the document from. */
  servers?: Array<{ url: string; description?: string }>;
}

const TAG_DESCRIPTIONS: Readonly<Record<string, string>> = {
  players: 'Player state and its event log',
  leaderboards: 'Leaderboards, their seasons and regions',
  config: 'The hot-reloaded game config and its experiments',
  operations: 'Liveness, readiness, metrics and this document; no key needed',
  fleet: 'The instances of a fleet',
  shards: 'The slot map and the moves of slots between shards',
  matchmaking: 'Queues, tickets, matches and their results',
  trades: "Trades between players and the economy's books",
  anticheat: 'Flags, quarantine, bans, rollback and the admin audit log',
};

const CODE_NAMES: Readonly<Record<ErrorCode, string>> = {
  invalid_argument: 'InvalidArgument',
  unauthenticated: 'Unauthenticated',
  permission_denied: 'PermissionDenied',
  banned: 'Banned',
  not_found: 'NotFound',
  conflict: 'Conflict',
  payload_too_large: 'PayloadTooLarge',
  rejected: 'Rejected',
  rate_limited: 'RateLimited',
  request_timeout: 'RequestTimeout',
  unavailable: 'Unavailable',
  internal: 'Internal',
};

const ERROR_WHEN: Readonly<Record<ErrorCode, string>> = {
  invalid_argument: 'Malformed HTTP, URL or JSON, or a parameter or body that breaks its schema',
  unauthenticated: 'Missing or wrong API key',
  permission_denied: 'The game-server key on an admin route',
  banned: 'The player is banned: its appends and score submissions are refused',
  not_found: 'Unknown player, board or other resource',
  conflict: '`expectedSeq` does not match; the body has `currentSeq`',
  payload_too_large: `Body over 1 MiB, or headers over ${MAX_HEADER_BYTES / 1024} KiB (then the connection is closed)`,
  rejected: 'Well formed, but breaks an invariant; nothing was written',
  rate_limited: 'Too many requests for this key or player; retry after `Retry-After` seconds',
  request_timeout: 'The request did not arrive in full in time; the connection is closed',
  unavailable: 'A backend this request needs is down, or the server is shutting down; nothing was written',
  internal: 'An unexpected error; see the server log',
};

/** Extra fields of some error bodies (errors.ts puts them there). */
const ERROR_EXTRAS: Partial<Record<ErrorCode, { properties: Record<string, JsonSchema>; required: string[] }>> = {
  conflict: { properties: { currentSeq: { type: 'integer', minimum: 0, description: "the player's current seq (0: no such player)" } }, required: ['currentSeq'] },
  rate_limited: { properties: { retryAfterSeconds: { type: 'integer', minimum: 1, description: 'same as the Retry-After header' } }, required: ['retryAfterSeconds'] },
};

/** Statuses any route can answer, whatever it does: malformed HTTP, slow or oversized requests, shutdown, a bug. */
const EVERY_ROUTE = [400, 408, 413, 500, 503];

/** Every code answered with this status (403: permission_denied and banned), the main one first. */
function codesOf(status: number): ErrorCode[] {
  return (Object.entries(HTTP_STATUS) as Array<[ErrorCode, number]>).filter(([, s]) => s === status).map(([code]) => code);
}

/** Every status a route can answer besides its successes. */
export function errorStatuses(route: RegisteredRoute): number[] {
  const out = new Set([...EVERY_ROUTE, ...route.errors]);
  if (route.access !== 'public') out.add(401);
  if (route.access === 'admin') out.add(403);
  if (route.access === 'game') out.add(429);
  return [...out].sort((a, b) => a - b);
}

/** zod → JSON Schema, with nested definitions moved to components.schemas (a `$ref` must resolve in the document). */
class SchemaCollector {
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly byContent = new Map<string, string>();

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const js = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
    delete js.$schema;
    const defs = (js.$defs ?? {}) as Record<string, JsonSchema>;
    delete js.$defs;
    const names = new Map<string, string>();
    for (const [id, def] of Object.entries(defs)) {
      if (isJsonValue(def, id)) {
        defs[id] = JSON_VALUE;
        names.set(id, this.nameFor('JsonValue', JSON_VALUE, io));
      } else names.set(id, this.nameFor(id, def, io));
    }
    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (typeof node !== 'object' || node === null) return node;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) out[k] = `#/components/schemas/${names.get(v.slice('#/$defs/'.length)) ?? ''}`;
        else out[k] = rewrite(v);
      }
      return out;
    };
    for (const [id, def] of Object.entries(defs)) this.schemas[names.get(id) as string] = rewrite(def) as JsonSchema;
    return rewrite(js) as JsonSchema;
  }

  // A definition keeps its zod id (`.meta({ id })`); the same id with other content (the input side of a schema
  // whose output is also used) gets a suffix. Anonymous ones are shared by content.
  private nameFor(id: string, def: JsonSchema, io: 'input' | 'output'): string {
    const anonymous = /^__schema\d+$/.test(id);
    const base = anonymous ? 'Schema' : id;
    const key = `${base}|${JSON.stringify(def)}`;
    const known = this.byContent.get(key);
    if (known) return known;
    let name = anonymous ? `${base}1` : base;
    if (!anonymous && this.schemas[name] !== undefined) name = `${id}${io === 'input' ? 'Input' : 'Output'}`;
    for (let n = 2; this.schemas[name] !== undefined; n++) name = `${base}${n}`;
    this.schemas[name] = {};
    this.byContent.set(key, name);
    return name;
  }
}

// zod's z.json() is a recursive union. Generators turn that into a type alias that refers to itself, which TypeScript
// refuses (openapi-typescript's output does not compile), so the document says "any JSON value" instead.
const JSON_VALUE: JsonSchema = { description: 'Any JSON value' };

function isJsonValue(def: JsonSchema, id: string): boolean {
  const self = `#/$defs/${id}`;
  const options = def.anyOf as JsonSchema[] | undefined;
  if (!options || options.length !== 6) return false;
  const types = options.map((o) => o.type).join();
  return types === 'string,number,boolean,null,array,object' && JSON.stringify(options.slice(4)).split(self).length === 3;
}

function parameters(c: SchemaCollector, schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const js = c.convert(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: where, required: where === 'path' || (js.required ?? []).includes(name), ...(description ? { description } : {}), schema: rest };
  });
}

function describeCodes(codes: ErrorCode[], status: number): string {
  if (codes.length === 0) return `Error ${status}`;
  if (codes.length === 1) return ERROR_WHEN[codes[0] as ErrorCode];
  return codes.map((k) => `\`${k}\`: ${ERROR_WHEN[k]}`).join('; ');
}

function errorSchema(codes: ErrorCode[]): JsonSchema {
  const code = codes.length === 1 ? codes[0] : undefined;
  const extra = code ? ERROR_EXTRAS[code] : undefined;
  return {
    type: 'object',
    required: ['error', ...(extra?.required ?? [])],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: code ? { type: 'string', const: code } : { type: 'string', enum: codes.length > 0 ? codes : Object.keys(HTTP_STATUS) },
          message: { type: 'string', description: 'for people; match on `code`' },
        },
      },
      ...(extra?.properties ?? {}),
    },
  };
}

export function buildOpenApi(app: FastifyInstance, version: string, options: OpenApiOptions = {}): Record<string, unknown> {
  const c = new SchemaCollector();
  const responses: Record<string, JsonSchema> = {};
  const tags = new Set<string>();

  // One shared response per error status, named by its code (`#/components/responses/Conflict`).
  const errorNames = (status: number): { response: string; schema: string; description: string } => {
    const codes = codesOf(status);
    const code = codes[0];
    const response = code ? CODE_NAMES[code] : `Status${status}`;
    const names = { response, schema: `${response}Error`, description: describeCodes(codes, status) };
    if (!responses[response]) {
      c.schemas[names.schema] = errorSchema(codes);
      responses[response] = {
        description: names.description,
        ...(code === 'rate_limited' ? { headers: { 'Retry-After': { required: true, description: 'seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } } } } : {}),
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${names.schema}` } } },
      };
    }
    return names;
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of registeredRoutes(app)) {
    tags.add(route.tag);
    const ok: Record<string, unknown> = {};
    const successes = Object.entries(route.responses).filter(([s]) => Number(s) < 400);
    for (const [status, schema] of successes) {
      ok[status] = {
        description: status === '200' ? 'OK' : `Status ${status}`,
        ...(Object.keys(route.headers).length > 0 ? { headers: headersOf(c, route.headers) } : {}),
        content: { [route.contentType]: { schema: c.convert(schema, 'output') } },
      };
    }
    if (successes.length === 0) ok[200] = { description: 'OK' };
    const failures: Record<string, unknown> = {};
    for (const status of errorStatuses(route)) {
      const own = route.responses[status];
      const names = errorNames(status);
      // A route whose error status has its own body (readiness's 503 says which backend is down) may also answer
      // with the error shape (a 503 while the server shuts down).
      failures[status] = own
        ? { description: names.description, content: { 'application/json': { schema: { anyOf: [c.convert(own, 'output'), { $ref: `#/components/schemas/${names.schema}` }] } } } }
        : { $ref: `#/components/responses/${names.response}` };
    }
    const op: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      parameters: [...parameters(c, route.params, 'path'), ...parameters(c, route.query, 'query')],
      responses: { ...ok, ...failures },
      security: route.access === 'public' ? [] : [{ bearer: [] }],
    };
    // Which rate limits apply (rate-limit.ts): the game key's, and the player's when the route names one.
    if (route.access === 'game') op['x-rate-limit'] = route.perPlayerLimit ? ['key', 'player'] : ['key'];
    if (route.access === 'admin') op.description = 'Needs the admin key.';
    // A body the route may go without (unban's reason) is not required.
    if (route.body) op.requestBody = { required: !route.body.safeParse(undefined).success, content: { 'application/json': { schema: c.convert(route.body, 'input') } } };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Realmstate',
      version,
      description: 'Persistence and live-ops backend of an MMO. See API.md for the contract.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: options.servers ?? [{ url: '/', description: 'the server this document was read from' }],
    security: [{ bearer: [] }],
    tags: [...tags].sort().map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? `The ${name} routes` })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The game-server key, or the admin key (which also works on every game-server route)' } },
      schemas: c.schemas,
      responses,
    },
  };
}

function headersOf(c: SchemaCollector, headers: Record<string, z.ZodType>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, schema]) => {
      const { description, ...rest } = c.convert(schema, 'output');
      return [name, { required: true, ...(description ? { description } : {}), schema: rest }];
    }),
  );
}
