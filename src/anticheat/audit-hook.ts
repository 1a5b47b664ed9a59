// Records every admin action (a non-GET request to an admin route, whichever capability owns it) in the audit log,
// before its reply leaves: an action a client saw acknowledged is in the trail. A failing audit write is logged,
// never turned into a failure of the action (which already happened).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from './audit-log.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a handler to name its action and target in the audit log (default: method and route, and the path). */
    audit?: { action: string; target: string };
  }
}

export function installAudit(app: FastifyInstance, audit: AuditLog): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.routeOptions.config.access !== 'admin' || req.method === 'GET' || req.method === 'HEAD') return payload;
    // No recognised key: nobody to name (the refusal is in the request metrics).
    if (!req.principal) return payload;
    const status = reply.statusCode;
    const { action, target } = req.audit ?? { action: `${req.method} ${req.routeOptions.url ?? ''}`, target: pathOf(req) };
    try {
      await audit.record({ key: req.principal, action, target, outcome: status < 400 ? 'ok' : `failed ${status}${errorCode(payload)}` });
    } catch (err) {
      req.log.error({ err, action, target }, 'could not record an admin action in the audit log');
    }
    return payload;
  });
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
