// The two admin routes the console reads: this instance's live figures, and one matchmaking queue's tickets and matches.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';

const CONFIG = `version: 3
limits:
  rateLimits: { perKeyPerSecond: 1000000000, perPlayerPerSecond: 1000000000, burst: 0 }
matchmaking:
  queues:
    - { name: duel, teams: 2, teamSize: 1, regions: [eu], skill: [{ afterSeconds: 0, maxSpread: 5 }], latency: [{ afterSeconds: 0, maxMs: 100 }] }
`;

describe('admin overview and queue detail', () => {
  let t: TestRealm;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'realmstate-overview-'));
    writeFileSync(join(dir, 'game.yaml'), CONFIG);
    t = await startTestRealm('pglite', { shards: 1, env: { REALMSTATE_CONFIG: join(dir, 'game.yaml') } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the requests answered and their p99 over a window, and names the live config', async () => {
    const first = (await t.app.inject({ method: 'GET', url: '/v1/admin/overview', headers: adminAuth })).json();
    expect(first).toMatchObject({ config: { version: 3 }, outbox: { lagRows: 0 }, writeBehind: { pending: expect.any(Number) } });
    for (let i = 0; i < 20; i++) {
      const res = await t.app.inject({ method: 'POST', url: `/v1/players/ov-${i}/events`, headers: auth, payload: { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }] } });
      expect(res.statusCode).toBe(200);
    }
    const second = (await t.app.inject({ method: 'GET', url: '/v1/admin/overview', headers: adminAuth })).json();
    // The 20 appends (and the first overview call, unless its count lands a moment after its reply) came between the two calls.
    const between = second.requests.total - first.requests.total;
    expect(between).toBeGreaterThanOrEqual(20);
    expect(between).toBeLessThanOrEqual(21);
    expect(second.requests.perSecond).toBeCloseTo(between / second.requests.windowSeconds, 6);
    expect(second.requests.p99Ms).toBeGreaterThan(0);
    expect(second.activePlayers).toBeGreaterThanOrEqual(20);
    // Each shard with its players table's rows: written behind, so they arrive within the flush interval.
    expect(second.shards.map((x: { index: number }) => x.index)).toEqual([0]);
    await t.realm.players.flush();
  });

  it("counts each shard's players", async () => {
    let shards: Array<{ players: number | null }> = [];
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 200));
      shards = (await t.app.inject({ method: 'GET', url: '/v1/admin/overview', headers: adminAuth })).json().shards;
      if (shards[0]?.players === 20) break; // the count is reused for up to 15 s
    }
    expect(shards).toEqual([{ index: 0, label: expect.any(String), players: 20 }]);
  });

  it('is for the admin key only', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/overview', headers: auth })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/matchmaking/queues/duel', headers: auth })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/overview' })).statusCode).toBe(401);
  });

  it("lists a queue's searching tickets oldest first and its matches newest first; 404 for an unknown queue", async () => {
    const ticket = async (playerId: string) =>
      (await t.app.inject({ method: 'POST', url: '/v1/matchmaking/tickets', headers: auth, payload: { queue: 'duel', players: [{ playerId, latencies: { eu: 20 } }] } })).json();
    const a = await ticket('q-a');
    await ticket('q-b');
    const done = await t.app.inject({ method: 'GET', url: `/v1/matchmaking/tickets/${a.ticketId}?waitSeconds=10`, headers: auth });
    expect(done.json().status).toBe('matched');
    const c = await ticket('q-c');
    const detail = (await t.app.inject({ method: 'GET', url: '/v1/admin/matchmaking/queues/duel', headers: adminAuth })).json();
    expect(detail.name).toBe('duel');
    expect(detail.searching.map((x: { ticketId: string }) => x.ticketId)).toEqual([c.ticketId]);
    expect(detail.searching[0].waitSeconds).toBeGreaterThanOrEqual(0);
    expect(detail.recentMatches).toHaveLength(1);
    expect(detail.recentMatches[0]).toMatchObject({ matchId: done.json().match.matchId, queue: 'duel', quality: { ratingSpread: 0 } });
    const missing = await t.app.inject({ method: 'GET', url: '/v1/admin/matchmaking/queues/nope', headers: adminAuth });
    expect(missing.statusCode).toBe(404);
    const bad = await t.app.inject({ method: 'GET', url: '/v1/admin/matchmaking/queues/duel?limit=0', headers: adminAuth });
    expect(bad.statusCode).toBe(400);
  });
});
