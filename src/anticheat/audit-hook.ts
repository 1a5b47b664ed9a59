// Records every admin action (a non-GET request to an admin route, whichever capability owns it) in the audit log,
// before its reply leaves: an action a client saw acknowledged is in the trail. A failing audit write is logged,
// never turned into a failure of the action (which already happened).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from './audit-log.js';
// The route's access and the request's principal, which auth.ts declares on fastify's types.
import type {} from '../http/auth.js';

export interface AuditName {
  action: string;
  target: string;
}

/** Names given to admin routes' actions, by fastify route url; other routes are named by method, route and path. */
const names = new Map<string, (req: { params: Record<string, string>; body: unknown }) => AuditName>();

/** Names a route's action and target in the audit log (also when the request is refused before its handler runs). */
/** Routes that need the admin key but are no admin's action (the instances of a fleet calling each other): not recorded. */
const unaudited = new Set<string>();

export function skipAudit(url: string): void {
  unaudited.add(url);
}

export function nameAuditAction(url: string, name: (req: { params: Record<string, string>; body: unknown }) => AuditName): void {
  names.set(url, name);
}

export function installAudit(app: FastifyInstance, audit: AuditLog): void {
  // Every reply passes here; only admin writes are recorded, so the others go on without a promise.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (req.routeOptions.config.access !== 'admin' || req.method === 'GET' || req.method === 'HEAD') return done(null, payload);
    if (unaudited.has(req.routeOptions.url ?? '')) return done(null, payload);
    // No recognised key: nobody to name (the refusal is in the request metrics).
    const key = req.principal;
    if (!key) return done(null, payload);
    record(req, reply, payload, key).then(() => done(null, payload), (err: Error) => done(err));
  });

  async function record(req: FastifyRequest, reply: FastifyReply, payload: unknown, key: NonNullable<FastifyRequest['principal']>): Promise<void> {
    const status = reply.statusCode;
    const url = req.routeOptions.url ?? '';
    const namer = names.get(url);
    const { action, target } = namer
      ? namer({ params: (req.params ?? {}) as Record<string, string>, body: req.body })
      : { action: `${req.method} ${url.replace(/\([^)]*\)/g, '').replace(/::/g, ':')}`, target: pathOf(req) };
    try {
      await audit.record({ key, action, target, outcome: status < 400 ? 'ok' : `failed ${status}${errorCode(payload)}` });
    } catch (err) {
      req.log.error({ err, action, target }, 'could not record an admin action in the audit log');
    }
  }
}

function pathOf(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q < 0 ? req.url : req.url.slice(0, q);
}

function errorCode(payload: unknown): string {
  if (typeof payload !== 'string') return '';
  const m = /"code":"([a-z_]+)"/.exec(payload);
  return m ? ` ${m[1]}` : '';
}
