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
  summary: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** Status codes (besides 200) this route documents. */
  errors?: number[];
  /** Body schema of each success status the route answers (200, 201, 202): what the handler returns. */
  responses?: Record<number, z.ZodType>;
  /** The player the request concerns (a path id, a body's playerId): that player's rate limit applies too (API.md). */
  player?: (req: { params: z.output<P>; body: z.output<B> }) => string | undefined;
  handler: (req: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; raw: FastifyRequest }, reply: FastifyReply) => Promise<unknown>;
}

export interface RegisteredRoute {
  method: string;
  path: string;
  summary: string;
  tag: string;
  access: Access;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  errors: number[];
  /** Body schema of each success status. */
  responses: Record<number, z.ZodType>;
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
  routes.push({
    method: spec.method,
    path: spec.openapiPath ?? spec.url.replace(/::/g, ':').replace(/:([A-Za-z]+)/g, '{$1}'),
    summary: spec.summary,
    tag: spec.tag,
    access: spec.access,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    errors: spec.errors ?? [],
    responses: spec.responses ?? {},
    perPlayerLimit: spec.player !== undefined,
  });
  const player = spec.player;
  app.route({
    method: spec.method,
    url: spec.url,
    config: {
      access: spec.access,
      ...(player ? { player: (req: FastifyRequest) => player({ params: req.params as z.output<P>, body: req.body as z.output<B> }) } : {}),
    },
    schema: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { querystring: spec.query } : {}),
      ...(spec.body ? { body: spec.body } : {}),
    },
    handler: async (req, reply) =>
      spec.handler({ params: req.params as z.output<P>, query: req.query as z.output<Q>, body: req.body as z.output<B>, raw: req }, reply),
  });
}

/** fastify validator compiler for zod schemas. */
export function zodValidatorCompiler({ schema }: { schema: unknown }) {
  const zodSchema = schema as z.ZodType;
  return (data: unknown) => {
    const result = zodSchema.safeParse(data);
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

/** A query-string integer (query values arrive as strings). */
export function queryInt(min: number, max: number, fallback?: number) {
  const base = z
    .string()
    .regex(/^-?\d{1,16}$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
  return fallback === undefined ? base : base.optional().transform((v) => v ?? fallback);
}
