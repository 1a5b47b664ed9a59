// The typed client (`realmstate/client`) against a real listening server: every operation round-trips, each answer is
// checked against /openapi.json (the document the client's types come from, through the same zod schemas), errors
// arrive as typed exceptions, 429 and 503 are retried, and connections are reused.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isApiError, OPERATIONS, RealmstateApiError, RealmstateClient, RealmstateConflictError, RealmstateRateLimitedError, RealmstateTimeoutError,
  type OperationId,
} from '../../src/client/index.js';
import { registeredRoutes } from '../../src/http/route-spec.js';
import { checkFetched } from '../helpers/contract.js';
import { ADMIN_KEY, API_KEY, startTestRealm, type TestRealm } from '../helpers/realm.js';

const board = '{ id: arena, order: desc, operator: best, regions: [eu, na] }';
// A queue that matches any two players, and a rule that flags a second item grant within a minute.
const extras = `matchmaking:
  queues:
    - { name: duel, teams: 2, teamSize: 1, regions: [eu], maxWaitSeconds: 60, skill: [{ afterSeconds: 0, maxSpread: 50 }], latency: [{ afterSeconds: 0, maxMs: 500 }] }
anticheat:
  rules:
    - { name: loot-flood, kind: eventRate, type: item.grant, max: 1, perSeconds: 60, action: flag }
`;
const configYaml = (version: number, limits = '{ perKeyPerSecond: 1000, perPlayerPerSecond: 1000, burst: 1000 }') =>
  `version: ${version}\nleaderboards:\n  - ${board}\nlimits:\n  rateLimits: ${limits}\n${extras}`;

/** A server on a free port answering with `handler`; closed by the returned function. */
async function tinyServer(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('typed client', () => {
  let t: TestRealm;
  let dir: string;
  let file: string;
  let base: string;
  /** Statuses of every answer, in order, per operation path. */
  const answers: Array<{ method: string; url: string; status: number }> = [];
  // Every answer the clients get is checked against the server's document.
  const checkedFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const url = String(input);
    answers.push({ method: init?.method ?? 'GET', url, status: res.status });
    await checkFetched(init?.method ?? 'GET', url, res, await res.clone().text());
    return res;
  };
  const client = (apiKey: string, options: Partial<ConstructorParameters<typeof RealmstateClient>[0]> = {}) => new RealmstateClient({ baseUrl: base, apiKey, fetch: checkedFetch, ...options });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'realmstate-client-'));
    file = join(dir, 'game.yaml');
    writeFileSync(file, configYaml(1));
    t = await startTestRealm('pglite', { shards: 2, env: { REALMSTATE_CONFIG: file } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has a function for every route the server registers, with its method and path', () => {
    const routes = registeredRoutes(t.app);
    const c = new RealmstateClient({ baseUrl: 'http://127.0.0.1:1' });
    const missing = routes.filter((r) => !(r.operationId in OPERATIONS) || typeof (c as unknown as Record<string, unknown>)[r.operationId] !== 'function');
    expect(missing.map((r) => `${r.operationId} (${r.method} ${r.path})`), 'routes without a client function: add them to src/client').toEqual([]);
    for (const r of routes) expect(OPERATIONS[r.operationId as OperationId], r.operationId).toMatchObject({ method: r.method, path: r.path });
    expect(Object.keys(OPERATIONS).sort()).toEqual(routes.map((r) => r.operationId).sort());
  });

  it('round-trips every operation', async () => {
    const called = new Set<string>();
    const track = <T extends object>(c: T): T =>
      new Proxy(c, {
        get(target, key, receiver) {
          if (typeof key === 'string' && key in OPERATIONS) called.add(key);
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
    const game = track(client(API_KEY));
    const admin = track(client(ADMIN_KEY));

    const appended = await game.appendEvents('c-1', {
      events: [
        { type: 'stat.add', data: { stat: 'xp', amount: 120 } },
        { type: 'item.grant', data: { item: 'sword', qty: 2 } },
        { type: 'data.set', data: { key: 'region', value: 'eu' } },
      ],
      expectedSeq: 0,
    });
    expect(appended.seq).toBe(3);
    expect(appended.state).toMatchObject({ playerId: 'c-1', stats: { xp: 120 }, items: { sword: 2 }, data: { region: 'eu' } });

    const player = await game.getPlayer('c-1', { consistency: 'strong' });
    expect(player.seq).toBe(3);
    const withSource = await game.call('getPlayer', { params: { id: 'c-1' } });
    expect(['memory', 'cache', 'replica', 'primary']).toContain(withSource.headers.get('x-realmstate-source'));

    expect(await game.batchGetPlayers(['c-1', 'nobody'])).toMatchObject({ players: [{ playerId: 'c-1' }], missing: ['nobody'] });
    const page = await game.listEvents('c-1', { after: 1, limit: 1 });
    expect(page.events.map((e) => [e.seq, e.type])).toEqual([[2, 'item.grant']]);
    expect(page.nextAfter).toBe(2);
    expect((await game.getStateAt('c-1', 1)).stats).toEqual({ xp: 120 });

    const config = await game.getConfig({ playerId: 'c-1' });
    expect(config.version).toBe(1);
    expect(config.config.leaderboards.map((b) => b.id)).toEqual(['arena']);
    expect((await admin.getConfigStatus()).version).toBe(1);
    writeFileSync(file, configYaml(2));
    expect((await admin.reloadConfig()).version).toBe(2);

    expect(await admin.defineLeaderboard('duel', { order: 'asc', operator: 'set' })).toMatchObject({ board: 'duel', reset: 'never', regions: null, season: 'all' });
    expect((await game.listLeaderboards()).leaderboards.map((b) => b.board).sort()).toEqual(['arena', 'duel']);
    expect(await game.submitScore('arena', { playerId: 'c-1', score: 50, region: 'eu' })).toEqual({ playerId: 'c-1', score: 50, rank: 1 });
    await game.submitScore('arena', { playerId: 'c-2', score: 70, region: 'na' });
    expect((await game.getTop('arena', { limit: 10 })).entries.map((e) => e.playerId)).toEqual(['c-2', 'c-1']);
    expect(await game.getPlayerScore('arena', 'c-1', { region: 'eu' })).toEqual({ playerId: 'c-1', score: 50, rank: 1 });
    expect((await game.getAround('arena', 'c-1', { limit: 1 })).entries.map((e) => e.rank)).toEqual([1, 2]);
    const rebuilt = await admin.rebuildLeaderboard('arena');
    expect(rebuilt.sets.map((s) => s.region).sort()).toEqual(['eu', 'na']);

    expect(await game.health()).toEqual({ status: 'ok' });
    expect((await game.readiness()).ready).toBe(true);
    expect(await game.metrics()).toContain('# HELP');
    expect((await game.openApi()).openapi).toBe('3.1.0');

    // Matchmaking: two players in the config's duel queue are matched, the result recorded; a third ticket cancelled.
    const latencies = { eu: 20 };
    const t1 = await game.createTicket({ queue: 'duel', players: [{ playerId: 'c-m1', latencies }] });
    expect(t1).toMatchObject({ queue: 'duel', status: 'searching', match: null });
    const t2 = await game.createTicket({ queue: 'duel', players: [{ playerId: 'c-m2', latencies }] });
    let matched = await game.getTicket(t1.ticketId, { waitSeconds: 10 });
    for (let i = 0; matched.status === 'searching' && i < 5; i++) matched = await game.getTicket(t1.ticketId, { waitSeconds: 10 });
    expect(matched.status).toBe('matched');
    const matchId = (matched.match as { matchId: string }).matchId;
    expect((await game.getTicket(t2.ticketId)).match?.matchId).toBe(matchId);
    expect((await game.getMatch(matchId)).teams.flat().sort()).toEqual(['c-m1', 'c-m2']);
    expect((await game.submitMatchResult(matchId, [1, 2])).result).toEqual({ ranks: [1, 2] });
    const t3 = await game.createTicket({ queue: 'duel', players: [{ playerId: 'c-m3', latencies }] });
    expect((await game.cancelTicket(t3.ticketId)).status).toBe('cancelled');
    expect((await game.listQueues()).queues.map((q) => q.name)).toEqual(['duel']);
    const queue = await admin.getQueueDetail('duel', { limit: 5 });
    expect(queue.recentMatches.map((m) => m.matchId)).toEqual([matchId]);
    expect(queue.searching).toEqual([]);

    // Trades: a sword for 50 gold, then the trade and the books.
    await game.appendEvents('c-t1', { events: [{ type: 'item.grant', data: { item: 'sword', qty: 1 } }] });
    await game.appendEvents('c-t2', { events: [{ type: 'stat.add', data: { stat: 'gold', amount: 100 } }] });
    const trade = await game.createTrade({ tradeId: 'c-trade-1', a: { playerId: 'c-t1', gives: { items: { sword: 1 } } }, b: { playerId: 'c-t2', gives: { stats: { gold: 50 } } } });
    expect(trade).toMatchObject({ tradeId: 'c-trade-1', status: 'committed', a: { playerId: 'c-t1' }, b: { playerId: 'c-t2' } });
    expect((await game.getPlayer('c-t2', { consistency: 'strong' })).items).toEqual({ sword: 1 });
    expect(await game.getTrade('c-trade-1')).toMatchObject({ status: 'committed', a: { gives: { items: { sword: 1 } } } });
    const books = await admin.getEconomy();
    expect(books.items.sword).toMatchObject({ balanced: true });
    expect(books.stats.gold).toMatchObject({ balanced: true });

    // Anti-cheat: a second grant is flagged, the flag cleared; a ban refuses appends, an unban lifts it; a rollback; the audit.
    await game.appendEvents('c-ac', { events: [{ type: 'item.grant', data: { item: 'gem', qty: 1 } }] });
    await game.appendEvents('c-ac', { events: [{ type: 'item.grant', data: { item: 'gem', qty: 5 } }] });
    const [flag] = (await admin.listFlags({ playerId: 'c-ac', status: 'open' })).flags;
    expect(flag).toMatchObject({ playerId: 'c-ac', rule: 'loot-flood', status: 'open' });
    expect((await admin.clearFlag((flag as { id: string }).id)).status).toBe('cleared');
    expect(await admin.banPlayer('c-ac', 'loot flood')).toMatchObject({ playerId: 'c-ac', banned: true });
    const refused = await game.appendEvents('c-ac', { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }] }).catch((e: unknown) => e);
    expect(isApiError(refused, 'banned')).toBe(true);
    expect(await admin.unbanPlayer('c-ac')).toMatchObject({ playerId: 'c-ac', banned: false });
    const rolledBack = await admin.rollbackPlayer('c-ac', 1, 'undo the flood');
    expect(rolledBack.state.items).toEqual({ gem: 1 });
    const actions = (await admin.listAudit({ limit: 20 })).entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['anticheat.clear', 'anticheat.ban', 'anticheat.unban', 'players.rollback']));

    const overview = await admin.getOverview();
    expect(overview.requests.total).toBeGreaterThan(20);
    expect(overview.config.hash).toMatch(/^[0-9a-f]{16}$/);

    // Shards: the map of the two shards; a rebalance of an even map plans nothing and its move finishes at once; a drain
    // of an unknown shard is 404 and a cancel with nothing running 409. (Draining a real shard is shards-admin's test,
    // on PostgreSQL: on PGlite it takes far longer than this test.)
    expect((await admin.getShards()).shards.map((s) => s.id)).toEqual([0, 1]);
    expect(await admin.rebalanceShards({ dryRun: true })).toEqual({ moves: [] });
    const started = await admin.rebalanceShards();
    expect('move' in started && started.move).toMatchObject({ kind: 'rebalance', slotsTotal: 0 });
    let shards = await admin.getShards();
    for (let i = 0; i < 300 && shards.move?.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      shards = await admin.getShards();
    }
    expect(shards.move).toMatchObject({ kind: 'rebalance', state: 'done', error: null });
    expect(shards.shards.map((s) => s.slots)).toEqual([2048, 2048]);
    expect(isApiError(await admin.drainShard(9).catch((e: unknown) => e), 'not_found')).toBe(true);
    const nothingToCancel = await admin.cancelShardMove().catch((e: unknown) => e);
    expect(isApiError(nothingToCancel, 'conflict'), String(nothingToCancel)).toBe(true);

    // Fleet: one instance, holding every slot.
    const { instances } = await admin.listInstances();
    expect(instances).toHaveLength(1);
    expect(instances[0]?.slots).toBeGreaterThan(0);

    expect([...called].sort()).toEqual(Object.keys(OPERATIONS).sort());
  });

  it('throws typed errors carrying the API code', async () => {
    const game = client(API_KEY);
    const notFound = await game.getPlayer('nobody-here').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(RealmstateApiError);
    expect(isApiError(notFound, 'not_found')).toBe(true);
    expect((notFound as RealmstateApiError).status).toBe(404);

    await game.appendEvents('c-cas', { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }] });
    const conflict = await game.appendEvents('c-cas', { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }], expectedSeq: 0 }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(RealmstateConflictError);
    expect((conflict as RealmstateConflictError).currentSeq).toBe(1);

    const rejected = await game.appendEvents('c-cas', { events: [{ type: 'item.consume', data: { item: 'gem', qty: 1 } }] }).catch((e: unknown) => e);
    expect(isApiError(rejected, 'rejected')).toBe(true);
    expect((rejected as RealmstateApiError).body.eventIndex).toBe(0);
    expect(isApiError(await game.reloadConfig().catch((e: unknown) => e), 'permission_denied')).toBe(true);
    expect(isApiError(await client('wrong-key').listLeaderboards().catch((e: unknown) => e), 'unauthenticated')).toBe(true);
    expect(isApiError(await game.getTop('arena', { limit: 0 }).catch((e: unknown) => e), 'invalid_argument')).toBe(true);
  });

  it('retries a 429 after Retry-After, and throws RealmstateRateLimitedError once retries run out', async () => {
    const admin = client(ADMIN_KEY);
    writeFileSync(file, configYaml(3, '{ perKeyPerSecond: 1, perPlayerPerSecond: 1000, burst: 0 }'));
    await admin.reloadConfig();
    try {
      const noRetry = client(API_KEY, { retries: 0 });
      const results = await Promise.allSettled([noRetry.health(), noRetry.listLeaderboards(), noRetry.listLeaderboards(), noRetry.listLeaderboards()]);
      const limited = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(limited.length).toBeGreaterThan(0);
      expect(limited[0]).toBeInstanceOf(RealmstateRateLimitedError);
      expect((limited[0] as RealmstateRateLimitedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);

      const from = answers.length;
      const patient = client(API_KEY, { retries: 6 });
      const boards = await Promise.all([patient.listLeaderboards(), patient.listLeaderboards(), patient.listLeaderboards()]);
      expect(boards.every((b) => b.leaderboards.length === 2)).toBe(true);
      const statuses = answers.slice(from).map((a) => a.status);
      expect(statuses).toContain(429);
      expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    } finally {
      writeFileSync(file, configYaml(4));
      await admin.reloadConfig();
    }
  });

  it('retries a 503 with backoff, and gives up with the unavailable error', async () => {
    let requests = 0;
    const flaky = await tinyServer((_req, res) => {
      requests++;
      const body = requests <= 2 ? { error: { code: 'unavailable', message: 'a backend is down' } } : { status: 'ok' };
      res.writeHead(requests <= 2 ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    try {
      const c = new RealmstateClient({ baseUrl: flaky.url, retryDelayMs: 5 });
      expect(await c.health()).toEqual({ status: 'ok' });
      expect(requests).toBe(3);
      requests = -100;
      const given = await new RealmstateClient({ baseUrl: flaky.url, retryDelayMs: 5, retries: 2 }).health().catch((e: unknown) => e);
      expect(isApiError(given, 'unavailable')).toBe(true);
      expect(requests).toBe(-97);
    } finally {
      await flaky.close();
    }
  });

  it('times out an attempt that gets no answer', async () => {
    const silent = await tinyServer(() => {
      // Never answers.
    });
    try {
      const err = await new RealmstateClient({ baseUrl: silent.url, timeoutMs: 200 }).health().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RealmstateTimeoutError);
    } finally {
      await silent.close();
    }
  });

  it('reuses its connection (keep-alive)', async () => {
    let connections = 0;
    const count = () => connections++;
    t.app.server.on('connection', count);
    try {
      const game = client(API_KEY);
      for (let i = 0; i < 20; i++) await game.getPlayer('c-1');
    } finally {
      t.app.server.off('connection', count);
    }
    expect(connections).toBeLessThanOrEqual(1);
  });

  it("README's Client example compiles against the client (tsc --strict)", async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = /## Client[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("from 'realmstate/client'");
    const root = new URL('../../', import.meta.url).pathname;
    // Outside the work tree, so an interrupted run leaves nothing for the linter to find.
    const tmp = mkdtempSync(join(tmpdir(), 'realmstate-readme-'));
    const file = join(tmp, 'readme-client.ts');
    writeFileSync(join(tmp, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(file, `${(example as string).replace("'realmstate/client'", `'${join(root, 'src/client/index.js')}'`)}\nexport {};\n`);
    try {
      await promisify(execFile)(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types'), file], { cwd: root }).catch((err: { stdout?: string }) => {
        throw new Error(`the README example does not compile:\n${err.stdout ?? String(err)}`);
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 180_000); // tsc on a busy machine
});
