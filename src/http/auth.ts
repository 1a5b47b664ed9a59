// Bearer-key authentication for /v1 routes. Keys are compared in constant time (on their SHA-256 digests,
// so different lengths do not leak either).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { PermissionDeniedError, UnauthenticatedError } from '../errors.js';
import type { Access } from './route-spec.js';

export type Principal = 'game' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function keyMatcher(apiKey: string, adminKey: string): (presented: string) => Principal | undefined {
  const game = digest(apiKey);
  const admin = digest(adminKey);
  return (presented) => {
    const d = digest(presented);
    // Compare with both keys every time so timing does not tell which one matched.
    const isAdmin = timingSafeEqual(d, admin);
    const isGame = timingSafeEqual(d, game);
    if (isAdmin) return 'admin';
    if (isGame) return 'game';
    return undefined;
  };
}

export function installAuth(app: FastifyInstance, keys: { apiKey: string; adminKey: string }): void {
  const match = keyMatcher(keys.apiKey, keys.adminKey);
  // A plain callback (the check is synchronous): it runs for every request, and a promise per hook is measurable.
  app.addHook('onRequest', (req, _reply, done) => {
    const access = req.routeOptions.config.access;
    if (access === undefined || access === 'public') {
      if (!req.url.startsWith('/v1/') && req.url !== '/v1') return done();
      // Unknown /v1 routes still need a key, so they do not reveal which routes exist.
    }
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(header.trim()) : null;
    const principal = m ? match(m[1] as string) : undefined;
    if (!principal) return done(new UnauthenticatedError(authProblem(header, m !== null)));
    // Set before the admin check, so the audit log can name the key an admin route refused.
    req.principal = principal;
    if (access === 'admin' && principal !== 'admin') return done(new PermissionDeniedError());
    done();
  });
}

/** What is wrong with the presented header, without saying anything about the keys. */
function authProblem(header: string | string[] | undefined, wellFormed: boolean): string {
  if (header === undefined || header === '') return 'missing header Authorization: Bearer <key>';
  if (Array.isArray(header)) return 'send one Authorization header: Bearer <key>';
  if (wellFormed) return 'wrong API key';
  if (!/^Bearer /.test(header.trim())) return 'the header must be Authorization: Bearer <key> (the word Bearer, a space, then the key)';
  return 'the key in Authorization: Bearer <key> must be 1–512 printable ASCII characters without spaces';
}
