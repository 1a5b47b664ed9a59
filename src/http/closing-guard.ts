// Requests that still arrive while the server closes (pipelined on a busy keep-alive connection) get the documented
// 503 `unavailable` and a closed connection. fastify's own answer (its return503OnClosing option) has a body of
// another shape, which API.md does not document.
import type { FastifyInstance } from 'fastify';
import { UnavailableError } from '../errors.js';

/** Install before any other onRequest hook, so a closing server does no work (not even auth) for a request. */
export function installClosingGuard(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A plain callback, not an async function: it runs for every request, and a promise per hook is measurable.
  app.addHook('onRequest', (_req, reply, done) => {
    if (!closing) return done();
    void reply.header('connection', 'close');
    done(new UnavailableError('the server is shutting down'));
  });
}
