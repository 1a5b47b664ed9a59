// Rate limits through the HTTP layer, on a hand-driven clock: per key and per player, 429 with Retry-After before any
// work, ops routes and the admin key exempt, limits from the game config and changed by a reload without a restart,
// and every route that concerns a player declares it.
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { checkInjects } from '../helpers/contract.js';
import { adminAuth, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';

const append = { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }] };

function configYaml(version: number, rateLimits: Record<string, number>, experiments = ''): string {
  return `version: ${version}\nlimits:\n  rateLimits: ${JSON.stringify(rateLimits)}\n${experiments}`;
}

describe('rate limits', () => {
  let t: TestRealm;
  let app: FastifyInstance;
  let dir: string;
  let file: string;
  let now = 0;
  let version = 1;

  const inject = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = auth, payload?: unknown) =>
    app.inject({ method, url, headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' }, payload: payload as object });
  /** Status codes of `n` requests made by `send`, counted. */
  async function statuses(n: number, send: () => ReturnType<typeof inject>): Promise<Record<number, number>> {
    const out: Record<number, number> = {};
    for (let i = 0; i < n; i++) {
      const res = await send();
      out[res.statusCode] = (out[res.statusCode] ?? 0) + 1;
    }
    return out;
  }
  async function setLimits(rateLimits: Record<string, number>, experiments = ''): Promise<void> {
    writeFileSync(file, configYaml(++version, rateLimits, experiments));
    const res = await inject('POST', '/v1/config/reload', adminAuth);
    expect(res.statusCode).toBe(200);
    expect(res.json().version).toBe(version);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'realmstate-limits-'));
    file = join(dir, 'game.yaml');
    writeFileSync(file, configYaml(version, { perKeyPerSecond: 5, burst: 5, perPlayerPerSecond: 1000 }));
    t = await startTestRealm('pglite', { shards: 1, env: { REALMSTATE_CONFIG: file } });
    app = checkInjects(await buildServer(t.realm, { rateLimit: { buckets: { now: () => now } } }));
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('limits the game key to rate + burst, answers 429 with Retry-After, and refills with time', async () => {
    expect(await statuses(10, () => inject('GET', '/v1/players/nobody'))).toEqual({ 404: 10 });
    const limited = await inject('GET', '/v1/players/nobody');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining('API key') }, retryAfterSeconds: 1 });

    // Limited before any work: a valid append is refused and writes nothing.
    expect((await inject('POST', '/v1/players/limited-1/events', auth, append)).statusCode).toBe(429);
    expect(t.realm.players.peek('limited-1')).toBeUndefined();

    // Not limited: ops routes, the admin key, requests that fail auth.
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json']) expect((await inject('GET', url, {})).statusCode, url).toBe(200);
    expect(await statuses(30, () => inject('GET', '/v1/players/nobody', adminAuth))).toEqual({ 404: 30 });
    expect((await inject('GET', '/v1/players/nobody', { authorization: 'Bearer not-the-key-at-all' })).statusCode).toBe(401);

    now += 1000;
    expect(await statuses(7, () => inject('GET', '/v1/players/nobody'))).toEqual({ 404: 5, 429: 2 });
  });

  it('takes new limits from a config reload, without a restart', async () => {
    await setLimits({ perKeyPerSecond: 100, burst: 0, perPlayerPerSecond: 1000 });
    now += 1000;
    expect(await statuses(101, () => inject('GET', '/v1/players/nobody'))).toEqual({ 404: 100, 429: 1 });
    await setLimits({ perKeyPerSecond: 1000, burst: 1000, perPlayerPerSecond: 1000 });
    now += 10_000;
  });

  it('limits each player on its own, and not batch reads', async () => {
    await setLimits({ perKeyPerSecond: 1000, perPlayerPerSecond: 2, burst: 1 });
    now += 10_000;
    const first = await inject('POST', '/v1/players/busy/events', auth, append);
    expect(first.statusCode).toBe(200);
    // Reads and writes of one player share its bucket (capacity 3).
    expect((await inject('GET', '/v1/players/busy')).statusCode).toBe(200);
    expect((await inject('GET', '/v1/players/busy/events')).statusCode).toBe(200);
    const limited = await inject('POST', '/v1/players/busy/events', auth, append);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.message).toContain('player busy');
    expect(limited.headers['retry-after']).toBe('1');
    expect((await inject('GET', '/v1/players/busy?consistency=strong', adminAuth)).json().seq).toBe(1);

    expect(await statuses(3, () => inject('POST', '/v1/players/calm/events', auth, append))).toEqual({ 200: 3 });
    expect(await statuses(20, () => inject('POST', '/v1/players:batchGet', auth, { ids: ['busy', 'calm'] }))).toEqual({ 200: 20 });
    // The admin key is not limited per player either.
    expect((await inject('POST', '/v1/players/busy/events', adminAuth, append)).statusCode).toBe(200);
    now += 1000;
    expect(await statuses(3, () => inject('POST', '/v1/players/busy/events', auth, append))).toEqual({ 200: 2, 429: 1 });
  });

  it("applies an experiment's limit overrides to its players", async () => {
    const strict = [
      'experiments:',
      '  - name: strict-limits',
      '    variants:',
      '      - { name: strict, weight: 1, overrides: { limits: { rateLimits: { perPlayerPerSecond: 1, burst: 0 } } } }',
      '',
    ].join('\n');
    await setLimits({ perKeyPerSecond: 1000, perPlayerPerSecond: 50, burst: 50 }, strict);
    now += 10_000;
    expect(await statuses(3, () => inject('POST', '/v1/players/in-experiment/events', auth, append))).toEqual({ 200: 1, 429: 2 });
  });

  it('is declared in the OpenAPI document for every route that concerns a player', async () => {
    const doc = (await inject('GET', '/openapi.json', {})).json() as { paths: Record<string, Record<string, Record<string, unknown>>> };
    let playerRoutes = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const body = (op.requestBody as { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } | undefined)?.content?.['application/json']?.schema;
        const concernsPlayer = path.startsWith('/v1/players/{id}') || body?.properties?.playerId !== undefined;
        const limits = op['x-rate-limit'] as string[] | undefined;
        if (concernsPlayer) {
          playerRoutes++;
          expect(limits, `${method} ${path}`).toEqual(['key', 'player']);
        }
        if ((op.security as unknown[]).length > 0 && !String(op.description ?? '').includes('admin')) {
          expect(limits, `${method} ${path}`).toContain('key');
          expect(Object.keys(op.responses as object), `${method} ${path}`).toContain('429');
        }
      }
    }
    expect(playerRoutes).toBeGreaterThanOrEqual(4);
  });
});
