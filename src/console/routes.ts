// GET /console: the admin web console, served by the API server itself. The page and its script need no key; the
// page asks for the admin key and sends it on every API call, which is where keys are checked.
import type { FastifyInstance } from 'fastify';
import { consoleScript } from './bundle.js';
import { CONSOLE_CSS, CONSOLE_HTML } from './page.js';

export function consoleRoutes(app: FastifyInstance): void {
  // Bundled once, on the first request for it: a server whose console is never opened (a test's, a fleet member's)
  // spends nothing on it. A failure is logged and tried again on the next request.
  let script: Promise<string> | undefined;
  const bundled = (): Promise<string> =>
    (script ??= consoleScript().catch((err: unknown) => {
      script = undefined;
      app.log.error({ err }, 'the console script could not be bundled');
      throw err;
    }));
  const headers = {
    // The console's own files only: no inline script, no other origin.
    'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
  app.get('/console', async (_req, reply) => reply.headers(headers).type('text/html; charset=utf-8').send(CONSOLE_HTML));
  app.get('/console/', async (_req, reply) => reply.redirect('/console'));
  app.get('/console/app.js', async (_req, reply) => reply.headers(headers).type('text/javascript; charset=utf-8').send(await bundled()));
  app.get('/console/app.css', async (_req, reply) => reply.headers(headers).type('text/css; charset=utf-8').send(CONSOLE_CSS));
}
