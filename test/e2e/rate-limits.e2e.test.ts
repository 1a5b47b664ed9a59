// Rate limits through the HTTP layer, on a hand-driven clock: per key and per player, 429 with Retry-After before any
// work, ops routes and the admin key exempt, limits from the game config and changed by a reload without a restart,
// and every route that concerns a player declares it.
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharedBucketStore } from '../../src/backends/shared-bucket-port.js';
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

/** A fleet-wide store the test answers by hand: each take waits until `answer` grants or refuses it. */
class HeldStore implements SharedBucketStore {
  private readonly waiting: Array<{ bucket: string; n: number; resolve: (r: { granted: number; retryAfterMs: number }) => void }> = [];
  asked: string[] = [];
  async take(bucket: string, _limits: { perSecond: number; capacity: number }, n: number) {
    this.asked.push(bucket);
    if (bucket.startsWith('key:')) return { granted: n, retryAfterMs: 0 };
    return new Promise<{ granted: number; retryAfterMs: number }>((resolve) => this.waiting.push({ bucket, n, resolve }));
  }
  get held(): number {
    return this.waiting.length;
  }
  answer(grant: boolean): void {
    for (const w of this.waiting.splice(0)) w.resolve(grant ? { granted: w.n, retryAfterMs: 0 } : { granted: 0, retryAfterMs: 1500 });
  }
}

describe('rate limits with a fleet-wide store', () => {
  let t: TestRealm;
  let app: FastifyInstance;
  const store = new HeldStore();
  let reads = 0;

  beforeAll(async () => {
    t = await startTestRealm('pglite', { shards: 1 });
    // shareMs 0: every player check asks the store.
    app = checkInjects(await buildServer(t.realm, { rateLimit: { shared: store, sharedOptions: { shareMs: 0 } } }));
    const xp = [{ type: 'stat.add' as const, data: { stat: 'xp', amount: 1 } }];
    await t.realm.players.append('reader', xp);
    await t.realm.players.append('writer', xp);
    const get = t.realm.queries.get.bind(t.realm.queries);
    t.realm.queries.get = (...args) => {
      reads++;
      return get(...args);
    };
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  const settled = async (res: Promise<unknown>) => Promise.race([res.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))]);

  it('runs a read while its player check is asked, and answers 429 without its headers when refused', async () => {
    // The read ran meanwhile (the memory read is done), and its reply waits for the store.
    const granted = app.inject({ method: 'GET', url: '/v1/players/reader', headers: auth });
    await expect.poll(() => store.held).toBe(1);
    await expect.poll(() => reads).toBe(1);
    expect(await settled(granted)).toBe(false);
    store.answer(true);
    const ok = await granted;
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['x-realmstate-source']).toBeDefined();
    expect(ok.json().seq).toBe(1);

    const refused = app.inject({ method: 'GET', url: '/v1/players/reader', headers: auth });
    await expect.poll(() => store.held).toBe(1);
    store.answer(false);
    const res = await refused;
    expect(res.statusCode).toBe(429);
    expect(res.json().error).toEqual({ code: 'rate_limited', message: 'too many requests for player reader' });
    expect(res.headers['retry-after']).toBe('2');
    expect(res.headers['x-realmstate-source']).toBeUndefined();

    // A read that failed on its own (an unknown player: 404) and is refused too answers the same 429.
    const unknown = app.inject({ method: 'GET', url: '/v1/players/nobody', headers: auth });
    await expect.poll(() => store.held).toBe(1);
    store.answer(false);
    const both = await unknown;
    expect(both.statusCode).toBe(429);
    expect(both.json()).toEqual({ error: { code: 'rate_limited', message: 'too many requests for player nobody' }, retryAfterSeconds: 2 });
  });

  it('does not start a write before its player check is answered', async () => {
    const write = app.inject({ method: 'POST', url: '/v1/players/writer/events', headers: { ...auth, 'content-type': 'application/json' }, payload: append });
    await expect.poll(() => store.held).toBe(1);
    // Held: the append has not been applied (the player is still at seq 1).
    expect((await t.realm.queries.get('writer', 'strong')).seq).toBe(1);
    store.answer(false);
    expect((await write).statusCode).toBe(429);
    expect((await t.realm.queries.get('writer', 'strong')).seq).toBe(1);
    // The refusal is remembered until the store said the next token comes: no second call.
    const askedFor = () => store.asked.filter((b) => b === 'player:writer').length;
    const asked = askedFor();
    expect((await app.inject({ method: 'GET', url: '/v1/players/writer', headers: auth })).statusCode).toBe(429);
    expect(askedFor()).toBe(asked);
  });
});
