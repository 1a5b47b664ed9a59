// GET /console: the admin web console, served by the API server itself. The page and its script need no key; the
// page asks for the admin key and sends it on every API call, which is where keys are checked.
import type { FastifyInstance } from 'fastify';
import { consoleScript } from './bundle.js';
import { CONSOLE_CSS, CONSOLE_HTML } from './page.js';

export function consoleRoutes(app: FastifyInstance): void {
  // Bundled once, when the server starts; a failure shows on the page's script request and in the log, not at start.
  const script = consoleScript();
  script.catch((err: unknown) => app.log.error({ err }, 'the console script could not be bundled; /console will not work'));
  const headers = {
    // The console's own files only: no inline script, no other origin.
    'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
  app.get('/console', async (_req, reply) => reply.headers(headers).type('text/html; charset=utf-8').send(CONSOLE_HTML));
  app.get('/console/', async (_req, reply) => reply.redirect('/console'));
  app.get('/console/app.js', async (_req, reply) => reply.headers(headers).type('text/javascript; charset=utf-8').send(await script));
  app.get('/console/app.css', async (_req, reply) => reply.headers(headers).type('text/css; charset=utf-8').send(CONSOLE_CSS));
}
