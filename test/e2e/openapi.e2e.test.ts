// /openapi.json as a generator sees it: two independent validators and Redocly's recommended rules accept it, every
// route is described completely, and a client generated from it by openapi-typescript typechecks (tsc --strict) and
// runs a session that reads every success body against the real server.
import SwaggerParser from '@apidevtools/swagger-parser';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Validator } from '@seriousme/openapi-schema-validator';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../src/http/route-spec.js';
import { ContractChecker } from '../helpers/contract.js';
import { ADMIN_KEY, adminAuth, API_KEY, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';

type Json = Record<string, unknown>;
type Operation = Json & { operationId: string; tags: string[]; responses: Record<string, Json>; parameters: Json[]; security: unknown[] };

const ROOT = new URL('../../', import.meta.url).pathname;

describe('/openapi.json', () => {
  let t: TestRealm;
  let doc: Json;
  let text: string;
  const operations = (): Array<{ path: string; method: string; op: Operation }> =>
    Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

  beforeAll(async () => {
    t = await startTestRealm('pglite', { shards: 1 });
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    text = res.body;
    doc = res.json();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is valid OpenAPI 3.1 for two independent validators', async () => {
    // swagger-parser dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(JSON.parse(text) as never)).resolves.toBeTruthy();
    const result = await new Validator().validate(JSON.parse(text) as Json);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it("passes Redocly's recommended rules without an error", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: text, absoluteRef: join(tmpdir(), 'openapi.json'), config });
    const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`);
    expect(errors).toEqual([]);
  });

  it('documents every route: operationId, a declared tag, its success body, security, and every status it can answer', () => {
    const routes = registeredRoutes(t.app);
    expect(operations()).toHaveLength(routes.length);
    const ids = operations().map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = (doc.tags as Array<{ name: string; description: string }>).map((tag) => tag.name);
    expect(doc.servers).toEqual([expect.objectContaining({ url: expect.any(String) })]);
    for (const { path, method, op } of operations()) {
      const where = `${method} ${path}`;
      expect(op.tags.every((tag) => tags.includes(tag)), where).toBe(true);
      // The success status: 200, or 201 for a route that creates (a matchmaking ticket), 202 for one that starts (a drain).
      const success = Object.keys(op.responses).find((status) => /^2\d\d$/.test(status)) ?? '200';
      const ok = (op.responses[success] ?? {}) as { content?: Record<string, { schema?: unknown }> };
      expect(Object.values(ok.content ?? {})[0]?.schema, `${where} has no success body schema`).toBeDefined();
      for (const status of ['400', '408', '413', '500', '503']) expect(op.responses[status], `${where} lacks ${status}`).toBeDefined();
      const open = ['/healthz', '/readyz', '/metrics', '/openapi.json'].includes(path);
      expect(op.security, where).toEqual(open ? [] : [{ bearer: [] }]);
      if (!open) expect(op.responses['401'], where).toBeDefined();
      if (op['x-rate-limit']) expect(op.responses['429'], where).toEqual({ $ref: '#/components/responses/RateLimited' });
    }
    expect(operations().find((o) => o.path === '/v1/config/reload')?.op.responses['400']).toBeDefined();
  });

  it('describes Retry-After, retryAfterSeconds, x-realmstate-source and the 409 body', () => {
    const responses = (doc.components as { responses: Record<string, Json> }).responses;
    expect(responses.RateLimited?.headers).toMatchObject({ 'Retry-After': { required: true, schema: { type: 'integer', minimum: 1 } } });
    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
    expect(schemas.RateLimitedError).toMatchObject({ required: ['error', 'retryAfterSeconds'] });
    expect(schemas.ConflictError).toMatchObject({ required: ['error', 'currentSeq'] });
    const getPlayer = operations().find((o) => o.op.operationId === 'getPlayer')?.op;
    expect((getPlayer?.responses['200'] as Json).headers).toMatchObject({ 'x-realmstate-source': { schema: { enum: ['memory', 'cache', 'replica', 'primary'] } } });
  });

  it('gives integer query parameters as integers with their range, and the server reads them from the query string', async () => {
    const listEvents = operations().find((o) => o.op.operationId === 'listEvents')?.op;
    const limit = listEvents?.parameters.find((p) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } });
    const top = operations().find((o) => o.op.operationId === 'getTop')?.op;
    expect(top?.parameters.find((p) => p.name === 'limit')?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    await t.app.inject({ method: 'POST', url: '/v1/players/q1/events', headers: auth, payload: { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }, { type: 'stat.add', data: { stat: 'xp', amount: 1 } }] } });
    const page = await t.app.inject({ method: 'GET', url: '/v1/players/q1/events?after=1&limit=1', headers: auth });
    expect(page.json()).toMatchObject({ events: [{ seq: 2 }], nextAfter: null });
    for (const bad of ['0', '1001', '1.5', 'ten', '', '99999999999999999']) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/players/q1/events?limit=${bad}`, headers: auth });
      expect(res.statusCode, `limit=${bad}`).toBe(400);
    }
  });

  it('names the rebuild route by the plain board, so the correct call passes the document', async () => {
    const rebuild = operations().find((o) => o.op.operationId === 'rebuildLeaderboard');
    expect(rebuild?.path).toBe('/v1/leaderboards/{board}:rebuild');
    const board = rebuild?.op.parameters.find((p) => p.name === 'board') as { schema: { pattern: string } };
    expect(new RegExp(board.schema.pattern).test('arena')).toBe(true);
    expect(new RegExp(board.schema.pattern).test('arena:rebuild')).toBe(true); // ':' is a legal name character
    await t.app.inject({ method: 'PUT', url: '/v1/leaderboards/arena', headers: adminAuth, payload: { order: 'desc', operator: 'best' } });
    expect((await t.app.inject({ method: 'POST', url: '/v1/leaderboards/arena:rebuild', headers: adminAuth })).statusCode).toBe(200);
  });

  it('is as strict as the server on request bodies: stat.set ≥ 0, data.set size and depth', () => {
    const append = operations().find((o) => o.op.operationId === 'appendEvents')?.op as Json;
    const events = JSON.stringify(append.requestBody);
    const body = JSON.parse(events) as { content: { 'application/json': { schema: { properties: { events: { items: { oneOf: Json[] } } } } } } };
    const variants = body.content['application/json'].schema.properties.events.items.oneOf;
    const ofType = (type: string) => variants.find((v) => JSON.stringify(v).includes(`"const":"${type}"`)) as { properties: { data: { properties: Record<string, Json> } } };
    expect(ofType('stat.set').properties.data.properties.value).toMatchObject({ type: 'integer', minimum: 0 });
    expect(ofType('data.set').properties.data.properties.value).toMatchObject({ 'x-max-bytes': 16384, 'x-max-depth': 32 });
  });

  it('the contract check refuses a status or a body the document does not describe', () => {
    const c = new ContractChecker(doc);
    const base = { method: 'GET', url: '/v1/leaderboards', headers: { 'content-type': 'application/json' } };
    expect(c.problems({ ...base, status: 200, body: JSON.stringify({ leaderboards: [] }) })).toEqual([]);
    expect(c.problems({ ...base, status: 200, body: JSON.stringify({ boards: [] }) })).toHaveLength(1);
    expect(c.problems({ ...base, status: 409, body: JSON.stringify({ error: { code: 'conflict', message: 'x' } }) })).toHaveLength(1);
    expect(c.problems({ ...base, status: 429, headers: { ...base.headers, 'retry-after': '2' }, body: JSON.stringify({ error: { code: 'rate_limited', message: 'x' } }) })).toHaveLength(1);
    expect(c.problems({ method: 'GET', url: '/v1/players/p1', status: 200, headers: base.headers, body: JSON.stringify({ playerId: 'p1' }) }).join()).toMatch(/x-realmstate-source/);
  });

  it('a client generated by openapi-typescript typechecks with tsc --strict and reads every success body from the server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'realmstate-openapi-ts-'));
    try {
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      writeFileSync(join(dir, 'schema.ts'), astToString(await openapiTS(text)));
      writeFileSync(join(dir, 'session.ts'), SESSION);
      await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--strict', '--target', 'es2022', '--lib', 'es2022,dom', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--outDir', join(dir, 'out'), join(dir, 'session.ts')], { cwd: dir }).catch((err: { stdout?: string }) => {
        throw new Error(`tsc --strict failed:\n${err.stdout ?? String(err)}`);
      });
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = t.app.server.address() as { port: number };
      const { session } = (await import(join(dir, 'out', 'session.js'))) as { session: (base: string, game: string, admin: string) => Promise<Record<string, unknown>> };
      const read = await session(`http://127.0.0.1:${port}`, API_KEY, ADMIN_KEY);
      // Every operation's body type is checked by the compiler above (everyBodyDescribed); these are the ones the session calls.
      expect(operations().map(({ op }) => op.operationId)).toEqual(expect.arrayContaining(Object.keys(read)));
      expect(read).toMatchObject({ appendEvents: 2, getPlayer: 'p-gen:primary', getTop: 'p-gen', health: 'ok', listEvents: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000); // tsc on a busy machine
});

// A game server's session through the generated types: every operation is called and a field of its success body
// read. The mapped type at the end fails to compile when an operation's success body is typed never or unknown.
const SESSION = `
import createClient from 'openapi-fetch';
import type { operations, paths } from './schema.js';

type Ok<R> = R extends { 200: infer A } ? A : R extends { 201: infer A } ? A : R extends { 202: infer A } ? A : never;
type OkBody<O> = O extends { responses: infer R } ? (Ok<R> extends { content: infer C } ? C[keyof C] : never) : never;
type Described<T> = [T] extends [never] ? false : unknown extends T ? false : true;
export const everyBodyDescribed: { [K in keyof operations]: true } = null as unknown as { [K in keyof operations]: Described<OkBody<operations[K]>> };

export async function session(baseUrl: string, game: string, admin: string): Promise<Record<string, unknown>> {
  const api = createClient<paths>({ baseUrl, headers: { authorization: 'Bearer ' + game } });
  const ops = createClient<paths>({ baseUrl, headers: { authorization: 'Bearer ' + admin } });
  const read: Record<string, unknown> = {};
  const must = <T>(r: { data?: T; error?: unknown; response: Response }): T => {
    if (r.data === undefined) throw new Error(r.response.url + ': ' + r.response.status + ' ' + JSON.stringify(r.error));
    return r.data;
  };
  const id = 'p-gen';
  const appended = must(await api.POST('/v1/players/{id}/events', { params: { path: { id } }, body: { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 5 } }, { type: 'data.set', data: { key: 'region', value: { name: 'eu', n: [1, 2] } } }], durability: 'sync' } }));
  read.appendEvents = appended.seq + 0 * appended.state.stats['xp']!;
  const player = await api.GET('/v1/players/{id}', { params: { path: { id }, query: { consistency: 'strong' } } });
  read.getPlayer = must(player).playerId + ':' + player.response.headers.get('x-realmstate-source');
  read.batchGetPlayers = must(await api.POST('/v1/players:batchGet', { body: { ids: [id, 'nobody'] } })).missing.join();
  read.listEvents = must(await api.GET('/v1/players/{id}/events', { params: { path: { id }, query: { after: 0, limit: 10 } } })).events.length;
  read.getStateAt = must(await api.GET('/v1/players/{id}/state-at', { params: { path: { id }, query: { seq: 1 } } })).stats['xp'];
  read.getConfig = must(await api.GET('/v1/config', { params: { query: { playerId: id } } })).config.version;
  read.getConfigStatus = must(await ops.GET('/v1/config/status')).reloads;
  read.reloadConfig = must(await ops.POST('/v1/config/reload')).hash;
  read.defineLeaderboard = must(await ops.PUT('/v1/leaderboards/{board}', { params: { path: { board: 'gen' } }, body: { order: 'desc', operator: 'best' } })).season;
  read.listLeaderboards = must(await api.GET('/v1/leaderboards')).leaderboards.map((b) => b.board).join();
  read.submitScore = must(await api.POST('/v1/leaderboards/{board}/scores', { params: { path: { board: 'gen' } }, body: { playerId: id, score: 42 } })).rank;
  read.getTop = must(await api.GET('/v1/leaderboards/{board}/top', { params: { path: { board: 'gen' }, query: { limit: 10 } } })).entries[0]?.playerId;
  read.getPlayerScore = must(await api.GET('/v1/leaderboards/{board}/players/{id}', { params: { path: { board: 'gen', id } } })).score;
  read.getAround = must(await api.GET('/v1/leaderboards/{board}/around/{id}', { params: { path: { board: 'gen', id }, query: { limit: 2 } } })).season;
  read.rebuildLeaderboard = must(await ops.POST('/v1/leaderboards/{board}:rebuild', { params: { path: { board: 'gen' } } })).sets.length;
  read.health = must(await api.GET('/healthz')).status;
  read.readiness = Object.keys(must(await api.GET('/readyz')).backends).length;
  read.metrics = must(await api.GET('/metrics', { parseAs: 'text' })).length > 0;
  read.openApi = typeof must(await api.GET('/openapi.json')).openapi;
  return read;
}
`;
