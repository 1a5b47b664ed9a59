// Routes are declared once with zod schemas: fastify validates with them at the edge (handlers get typed,
// trusted values) and the OpenAPI document is generated from the same declarations.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

export type Access = 'public' | 'game' | 'admin';

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  /** The path as OpenAPI writes it (`{id}`), when it differs from the fastify url. */
  openapiPath?: string;
  /** The path parameters as the document names them, when `openapiPath` splits a fastify parameter (`{board}:rebuild`). */
  openapiParams?: z.ZodType;
  /** Name of the operation in the document and of the typed client's function. Default: derived from method and path. */
  operationId?: string;
  summary: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * Error statuses this route answers by itself (404, 409, 422…). The document adds those any route can answer
   * (400, 408, 413, 500, 503) and those its access brings (401; 403 on admin routes; 429 on game routes).
   */
  errors?: number[];
  /** Body schema of each success status the route answers (200, 201, 202): what the handler returns. */
  responses?: Record<number, z.ZodType>;
  /** Media type of the success bodies. Default application/json. */
  contentType?: string;
  /** Headers of the success responses, by lower-case name (give each a `.describe()`). */
  headers?: Record<string, z.ZodType>;
  /** The player the request concerns (a path id, a body's playerId): that player's rate limit applies too (API.md). */
  player?: (req: { params: z.output<P>; body: z.output<B> }) => string | undefined;
  handler: (req: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; raw: FastifyRequest }, reply: FastifyReply) => Promise<unknown>;
}

export interface RegisteredRoute {
  method: string;
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  access: Access;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  errors: number[];
  /** Body schema of each success status. */
  responses: Record<number, z.ZodType>;
  contentType: string;
  headers: Record<string, z.ZodType>;
  /** Whether the per-player rate limit applies (`player` was given). */
  perPlayerLimit: boolean;
}

/** Routes registered so far, per fastify instance, for the OpenAPI document. */
const registry = new WeakMap<FastifyInstance, RegisteredRoute[]>();

export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  return registry.get(app) ?? [];
}

type NoSchema = z.ZodType<Record<string, unknown>>;

export function defineRoute<P extends z.ZodType = NoSchema, Q extends z.ZodType = NoSchema, B extends z.ZodType = z.ZodUnknown>(
  app: FastifyInstance,
  spec: RouteSpec<P, Q, B>,
): void {
  const routes = registry.get(app) ?? [];
  registry.set(app, routes);
  const path = spec.openapiPath ?? spec.url.replace(/::/g, ':').replace(/:([A-Za-z]+)/g, '{$1}');
  routes.push({
    method: spec.method,
    path,
    operationId: spec.operationId ?? defaultOperationId(spec.method, path),
    summary: spec.summary,
    tag: spec.tag,
    access: spec.access,
    params: spec.openapiParams ?? spec.params,
    query: spec.query,
    body: spec.body,
    errors: spec.errors ?? [],
    responses: spec.responses ?? {},
    contentType: spec.contentType ?? 'application/json',
    headers: spec.headers ?? {},
    perPlayerLimit: spec.player !== undefined,
  });
  const player = spec.player;
  app.route({
    method: spec.method,
    url: spec.url,
    config: {
      access: spec.access,
      ...(spec.headers ? { replyHeaders: Object.keys(spec.headers) } : {}),
      ...(player ? { player: (req: FastifyRequest) => player({ params: req.params as z.output<P>, body: req.body as z.output<B> }) } : {}),
    },
    schema: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { querystring: spec.query } : {}),
      ...(spec.body ? { body: spec.body } : {}),
    },
    // Not an async function itself: the handler's own promise is enough for fastify.
    handler: (req, reply) =>
      spec.handler({ params: req.params as z.output<P>, query: req.query as z.output<Q>, body: req.body as z.output<B>, raw: req }, reply),
  });
}

/** `post /v1/players/{id}/events` → `postV1PlayersIdEvents`: unique per route, for routes that name none. */
function defaultOperationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  return method.toLowerCase() + words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join('');
}

/** fastify validator compiler for zod schemas. */
export function zodValidatorCompiler({ schema, httpPart }: { schema: unknown; httpPart?: string }) {
  const zodSchema = schema as z.ZodType;
  const numericKeys = httpPart === 'querystring' ? numberFields(zodSchema) : new Set<string>();
  // fastify hands a request without a body over as null: a route whose body is optional takes that as no body.
  const bodyOptional = httpPart === 'body' && zodSchema.safeParse(undefined).success;
  return (raw: unknown) => {
    const data = bodyOptional && raw === null ? undefined : raw;
    const result = zodSchema.safeParse(numericKeys.size > 0 ? withIntegers(data, numericKeys) : data);
    if (result.success) return { value: result.data };
    return { error: new Error(formatZodError(result.error, data)) };
  };
}

/** The value at `path` of the validated input, or undefined where it is missing. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let at = input;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? `"${v}"` : String(v))).join(', ');
}

/** Shows a value a client sent, cut short so an error message stays one line. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? `"${value}"` : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/**
 * One line for up to five problems, each led by the field's path (`events.0.type`). A problem with the whole input
 * has no path: the error handler's prefix names it (`invalid body: …`). Given the input, the message can say that a
 * field is missing and echo a value that is not allowed.
 */
export function formatZodError(error: z.ZodError, input?: unknown): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.join('.');
      const label = (text: string) => (path ? `${path}: ${text}` : text);
      const value = valueAt(input, issue.path);
      const missing = input !== undefined && value === undefined;
      switch (issue.code) {
        case 'invalid_union': {
          const { discriminator, options } = issue as { discriminator?: string; options?: unknown[] };
          if (discriminator && options) {
            const kind = discriminator === 'type' ? 'type' : discriminator;
            if (missing) return `${path || discriminator} is required: one of ${quoteList(options)}`;
            return label(`unknown ${kind} ${shown(value)}; the ${kind}s are ${quoteList(options)}`);
          }
          return label(issue.message);
        }
        case 'invalid_type':
          if (missing) return path ? `${path} is required` : 'a value is required';
          // A schema's own wording (e.g. a query integer's "must be an integer") says it better than the generic one.
          if (!issue.message.startsWith('Invalid input')) return label(issue.message);
          return label(`expected ${issue.expected === 'object' ? 'a JSON object' : issue.expected}, received ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
        case 'unrecognized_keys':
          return label(`unknown field${issue.keys.length > 1 ? 's' : ''} ${quoteList(issue.keys)}`);
        case 'invalid_value':
          if (missing) return path ? `${path} is required: one of ${quoteList(issue.values)}` : issue.message;
          return label(`${shown(value)} is not one of ${quoteList(issue.values)}`);
        default:
          return label(issue.message);
      }
    })
    .join('; ');
}

/**
 * A query-string integer. The schema is a number, so the document says `integer` with its range and the client's
 * type is a number; query values arrive as strings, and the validator turns the ones written as integers into numbers
 * first (see `withIntegers`). Anything else stays a string and fails as not an integer.
 */
export function queryInt(min: number, max: number): z.ZodNumber;
export function queryInt(min: number, max: number, fallback: number): z.ZodDefault<z.ZodNumber>;
export function queryInt(min: number, max: number, fallback?: number): z.ZodNumber | z.ZodDefault<z.ZodNumber> {
  const base = z
    .number({ error: (issue) => (issue.code === 'invalid_type' ? 'must be an integer' : undefined) })
    .int()
    .min(min)
    .max(max);
  return fallback === undefined ? base : base.default(fallback);
}

const INTEGER_TEXT = /^-?\d{1,16}$/;

/** The keys of an object schema whose value is a number (under optional/default/nullable). */
function numberFields(schema: z.ZodType): Set<string> {
  const out = new Set<string>();
  if (!(schema instanceof z.ZodObject)) return out;
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    let inner: z.ZodType = field;
    while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault || inner instanceof z.ZodNullable) inner = inner.unwrap() as z.ZodType;
    if (inner instanceof z.ZodNumber) out.add(key);
  }
  return out;
}

/** A copy of the query with the integer-looking values of numeric fields as numbers. */
function withIntegers(data: unknown, keys: ReadonlySet<string>): unknown {
  if (typeof data !== 'object' || data === null) return data;
  const out: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const key of keys) {
    const v = out[key];
    if (typeof v === 'string' && INTEGER_TEXT.test(v)) out[key] = Number(v);
  }
  return out;
}
