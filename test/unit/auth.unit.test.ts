// Bearer-key authentication on a bare fastify app (no backends): only the exact keys get in, whatever else is presented
// is 401 in the documented shape, the game key is 403 on admin routes, and public routes need nothing.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAuth, keyMatcher } from '../../src/http/auth.js';
import { installErrorHandling } from '../../src/http/error-handler.js';

const GAME = 'rs_game_0123456789abcdefABCDEF';
const ADMIN = 'rs_admin_0123456789abcdefABCDEF';

/** `key` with its character at `i` replaced by another printable one. */
const oneCharChanged = (key: string, i: number) => key.slice(0, i) + (key[i] === 'x' ? 'y' : 'x') + key.slice(i + 1);

describe('key matcher', () => {
  const match = keyMatcher(GAME, ADMIN);

  it('knows the two keys and nothing else', () => {
    expect(match(GAME)).toBe('game');
    expect(match(ADMIN)).toBe('admin');
    const near = [
      '',
      GAME.slice(0, -1),
      `${GAME}x`,
      `${GAME} `,
      ` ${GAME}`,
      GAME.toUpperCase(),
      `${GAME}\u0000`,
      ...Array.from({ length: GAME.length }, (_, i) => oneCharChanged(GAME, i)),
      ...Array.from({ length: ADMIN.length }, (_, i) => oneCharChanged(ADMIN, i)),
      'x'.repeat(100_000),
      'ключ-не-ascii-ключ',
      GAME.replace('a', 'а'), // Cyrillic а
    ];
    for (const key of near) expect(match(key), JSON.stringify(key.slice(0, 40))).toBeUndefined();
  });
});

describe('bearer authentication', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    installErrorHandling(app);
    installAuth(app, { apiKey: GAME, adminKey: ADMIN });
    app.get('/v1/game', { config: { access: 'game' } }, async (req) => ({ principal: req.principal }));
    app.get('/v1/admin', { config: { access: 'admin' } }, async (req) => ({ principal: req.principal }));
    app.get('/healthz', { config: { access: 'public' } }, async () => ({ ok: true }));
    await app.ready();
  });
  afterAll(async () => app.close());

  const get = (url: string, authorization?: string | string[]) =>
    // A repeated header arrives as an array; the inject types only know strings.
    app.inject({ method: 'GET', url, headers: (authorization === undefined ? {} : { authorization }) as Record<string, string> });

  it('lets the game key in on game routes, the admin key everywhere', async () => {
    expect((await get('/v1/game', `Bearer ${GAME}`)).json()).toEqual({ principal: 'game' });
    expect((await get('/v1/game', `Bearer ${ADMIN}`)).json()).toEqual({ principal: 'admin' });
    expect((await get('/v1/admin', `Bearer ${ADMIN}`)).json()).toEqual({ principal: 'admin' });
  });

  it('closes admin routes to the game key with 403', async () => {
    const res = await get('/v1/admin', `Bearer ${GAME}`);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: { code: 'permission_denied', message: expect.any(String) } });
  });

  it('answers 401 to everything else a client may present', async () => {
    const presented: Array<string | string[] | undefined> = [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer  ',
      `Bearer ${GAME.slice(0, 10)}`,
      `Bearer ${GAME}${GAME}`,
      `Bearer ${oneCharChanged(GAME, 0)}`,
      `Bearer ${oneCharChanged(GAME, GAME.length - 1)}`,
      `Bearer ${oneCharChanged(ADMIN, 9)}`,
      `bearer ${GAME}x`,
      `Basic ${Buffer.from(`user:${GAME}`).toString('base64')}`,
      `Token ${GAME}`,
      `Bearer ${GAME} ${GAME}`,
      `Bearer ${'k'.repeat(8000)}`,
      'Bearer clé-secrète-0123456789',
      `Bearer ${GAME}\u00e9`,
      [`Bearer ${oneCharChanged(GAME, 3)}`, `Bearer ${oneCharChanged(GAME, 4)}`],
    ];
    for (const authorization of presented) {
      for (const url of ['/v1/game', '/v1/admin', '/v1/no-such-route']) {
        const res = await get(url, authorization);
        const what = `${url} ${JSON.stringify(authorization)?.slice(0, 60)}`;
        expect(res.statusCode, what).toBe(401);
        expect(res.json(), what).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
        expect(res.body, what).not.toContain(GAME);
      }
    }
  });

  it('needs no key on public routes', async () => {
    expect((await get('/healthz')).statusCode).toBe(200);
    expect((await get('/healthz', 'Bearer wrong')).statusCode).toBe(200);
  });
});
