// Matchmaking through the HTTP API on one instance, embedded (in-process pool) and on Redis: ticket to match to
// result, ratings equal to openskill's, one result per match, expiry, cancel racing the matcher, publication.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rate } from 'openskill';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/backends/event-bus.js';
import { RATING_TAU } from '../../src/matchmaking/index.js';
import { deleteKeys, uniquePrefix } from '../helpers/redis.js';
import { auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { REDIS_URL, waitFor } from '../helpers/wait.js';

export const MATCHMAKING_CONFIG = `version: 1
limits:
  rateLimits: { perKeyPerSecond: 1000000000, perPlayerPerSecond: 1000000000, burst: 0 }
matchmaking:
  queues:
    - name: duel
      teams: 2
      teamSize: 1
      regions: [eu, na]
      maxWaitSeconds: 60
      rating: { mu: 25, sigma: 8.333 }
      skill: [{ afterSeconds: 0, maxSpread: 50 }]
      latency: [{ afterSeconds: 0, maxMs: 100 }]
    - name: arena-2v2
      teams: 2
      teamSize: 2
      partyMax: 2
      regions: [eu, na]
      maxWaitSeconds: 60
      skill: [{ afterSeconds: 0, maxSpread: 3 }, { afterSeconds: 2, maxSpread: 50 }]
      latency: [{ afterSeconds: 0, maxMs: 60 }, { afterSeconds: 2, maxMs: 200 }]
    - name: lonely
      teams: 2
      teamSize: 8
      regions: [eu]
      maxWaitSeconds: 1
      skill: [{ afterSeconds: 0, maxSpread: 1 }]
      latency: [{ afterSeconds: 0, maxMs: 50 }]
`;

const MODES = { embedded: {}, redis: { REDIS_URL } } as const;

describe.each(Object.keys(MODES) as Array<keyof typeof MODES>)('matchmaking API (%s)', (mode) => {
  let t: TestRealm;
  let dir: string;
  const prefix = uniquePrefix();
  const published: StreamEvent[] = [];
  const post = (url: string, payload: unknown) => t.app.inject({ method: 'POST', url, headers: auth, payload: payload as object });
  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: auth });
  const del = (url: string) => t.app.inject({ method: 'DELETE', url, headers: auth });
  let seq = 0;
  const uid = (name: string) => `${mode}-${name}-${seq++}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'realmstate-mm-'));
    const file = join(dir, 'game.yaml');
    writeFileSync(file, MATCHMAKING_CONFIG);
    t = await startTestRealm('pglite', { shards: 1, env: { REALMSTATE_CONFIG: file, REDIS_KEY_PREFIX: prefix, ...MODES[mode] } });
    await t.realm.bus.consume('mm-test', async (events) => void published.push(...events.filter((e) => e.type === 'matchmaking.matched')));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
    if (mode === 'redis') await deleteKeys(prefix);
  });

  const ticket = async (queue: string, players: string[], latencies: Record<string, number> = { eu: 30, na: 120 }) => {
    const res = await post('/v1/matchmaking/tickets', { queue, players: players.map((playerId) => ({ playerId, latencies })) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { ticketId: string; status: string };
  };
  const settle = async (ticketId: string) => {
    for (;;) {
      const res = await get(`/v1/matchmaking/tickets/${ticketId}?waitSeconds=5`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      if (body.status !== 'searching') return body;
    }
  };

  it('refuses bad tickets with the documented errors', async () => {
    const p = uid('p');
    expect((await post('/v1/matchmaking/tickets', { queue: 'nope', players: [{ playerId: p, latencies: { eu: 1 } }] })).statusCode).toBe(404);
    expect((await post('/v1/matchmaking/tickets', { queue: 'duel', players: [{ playerId: p, latencies: { eu: 1 } }, { playerId: uid('q'), latencies: { eu: 1 } }] })).statusCode).toBe(400);
    expect((await post('/v1/matchmaking/tickets', { queue: 'duel', players: [{ playerId: p, latencies: { asia: 1 } }] })).statusCode).toBe(400);
    expect((await post('/v1/matchmaking/tickets', { queue: 'duel', players: [{ playerId: 'bad id', latencies: { eu: 1 } }] })).statusCode).toBe(400);
    const first = await ticket('lonely', [p], { eu: 10 });
    const again = await post('/v1/matchmaking/tickets', { queue: 'duel', players: [{ playerId: p, latencies: { eu: 1 } }] });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'conflict' }, ticketId: first.ticketId });
    expect((await get('/v1/matchmaking/tickets/does-not-exist')).statusCode).toBe(404);
    expect((await get('/v1/matchmaking/matches/does-not-exist')).statusCode).toBe(404);
  });

  it('matches a ticket, records one result, and moves ratings exactly as openskill does', async () => {
    const [a, b] = [uid('duelist'), uid('duelist')] as [string, string];
    const ta = await ticket('duel', [a]);
    const tb = await ticket('duel', [b]);
    const sa = await settle(ta.ticketId);
    expect(sa.status).toBe('matched');
    const match = sa.match;
    expect(match).toMatchObject({ queue: 'duel', region: 'eu', result: null });
    expect(match.teams.flat().sort()).toEqual([a, b].sort());
    expect(match.quality).toMatchObject({ ratingSpread: 0, maxLatencyMs: 30 });
    expect(match.quality.predictedDraw).toBeGreaterThan(0);
    expect((await settle(tb.ticketId)).match.matchId).toBe(match.matchId);
    // Matched players may queue again.
    const again = await ticket('lonely', [a], { eu: 10 });
    expect(again.status).toBe('searching');
    // Cancelled at once: the lonely queue expires a ticket after a second, which a busy machine can reach first.
    const cancelled = await del(`/v1/matchmaking/tickets/${again.ticketId}`);
    if (cancelled.statusCode !== 200) {
      expect(cancelled.statusCode).toBe(409);
      expect((await get(`/v1/matchmaking/tickets/${again.ticketId}`)).json().status).toBe('expired');
    }

    expect((await post(`/v1/matchmaking/matches/${match.matchId}/result`, { ranks: [1] })).statusCode).toBe(400);
    const res = await post(`/v1/matchmaking/matches/${match.matchId}/result`, { ranks: [1, 2] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().result).toEqual({ ranks: [1, 2] });
    const second = await post(`/v1/matchmaking/matches/${match.matchId}/result`, { ranks: [2, 1] });
    expect(second.statusCode).toBe(409);

    const start = { mu: 25, sigma: 8.333 };
    const expected = rate([[start], [start]], { rank: [1, 2], tau: RATING_TAU });
    const [winner, loser] = match.teams.map((team: string[]) => team[0]) as [string, string];
    const ws = (await get(`/v1/players/${winner}?consistency=strong`)).json();
    const ls = (await get(`/v1/players/${loser}?consistency=strong`)).json();
    expect(ws.ratings.duel).toMatchObject({ mu: expected[0]?.[0]?.mu, sigma: expected[0]?.[0]?.sigma, matches: 1 });
    expect(ls.ratings.duel).toMatchObject({ mu: expected[1]?.[0]?.mu, sigma: expected[1]?.[0]?.sigma, matches: 1 });
    const log = (await get(`/v1/players/${winner}/events`)).json();
    expect(log.events.map((e: { type: string }) => e.type)).toEqual(['rating.update']);
    // Only Realmstate appends rating updates.
    const forged = await post(`/v1/players/${winner}/events`, { events: [{ type: 'rating.update', data: { queue: 'duel', matchId: 'x', mu: 99, sigma: 1 } }] });
    expect(forged.statusCode).toBe(400);
    expect((await get(`/v1/matchmaking/matches/${match.matchId}`)).json().result).toEqual({ ranks: [1, 2] });
    await waitFor(() => published.some((e) => (e.data as { matchId: string }).matchId === match.matchId), 'the match on the stream');

    // The next tickets carry the learned ratings: a rematch's spread is the gap the result opened.
    const rematch = await ticket('duel', [a]);
    await ticket('duel', [b]);
    const quality = (await settle(rematch.ticketId)).match.quality;
    expect(quality.ratingSpread).toBeCloseTo((expected[0]?.[0]?.mu as number) - (expected[1]?.[0]?.mu as number), 9);
  });

  it('keeps a party on one team', async () => {
    const [p1, p2, s1, s2] = [uid('party'), uid('party'), uid('solo'), uid('solo')] as [string, string, string, string];
    const party = await ticket('arena-2v2', [p1, p2]);
    const solos = [await ticket('arena-2v2', [s1]), await ticket('arena-2v2', [s2])];
    const settled = await settle(party.ticketId);
    expect(settled.status).toBe('matched');
    const team = (settled.match.teams as string[][]).find((t) => t.includes(p1));
    expect(team?.sort()).toEqual([p1, p2].sort());
    for (const s of solos) expect((await settle(s.ticketId)).match.matchId).toBe(settled.match.matchId);
  });

  it('expires a ticket nobody can match, counts it, and refuses to cancel it', async () => {
    const p = uid('alone');
    const tk = await ticket('lonely', [p], { eu: 10 });
    const settled = await settle(tk.ticketId);
    expect(settled).toMatchObject({ status: 'expired', match: null });
    expect((await del(`/v1/matchmaking/tickets/${tk.ticketId}`)).statusCode).toBe(409);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/realmstate_matchmaking_expired_total\{queue="lonely"\} [1-9]/);
    expect(metrics.body).toMatch(/realmstate_matchmaking_matches_total\{queue="duel"\} [1-9]/);
    // The player is free to queue again.
    await ticket('lonely', [p], { eu: 10 });
  });

  it('lets exactly one of a cancel and the matcher win each ticket', async () => {
    const outcomes = { cancelled: 0, matched: 0 };
    for (let round = 0; round < 12; round++) {
      const a = await ticket('duel', [uid('racer')]);
      const b = await ticket('duel', [uid('racer')]);
      // Let the matcher run into the cancel now and then.
      await new Promise((r) => setTimeout(r, (round % 4) * 80));
      const cancel = await del(`/v1/matchmaking/tickets/${b.ticketId}`);
      const final = await get(`/v1/matchmaking/tickets/${b.ticketId}`);
      if (cancel.statusCode === 200) {
        outcomes.cancelled++;
        expect(final.json()).toMatchObject({ status: 'cancelled', match: null });
      } else {
        expect(cancel.statusCode).toBe(409);
        outcomes.matched++;
        expect(final.json().status).toBe('matched');
        expect(final.json().match.teams.flat()).toContain(final.json().players[0].playerId);
      }
      void a;
    }
    expect(outcomes.cancelled + outcomes.matched).toBe(12);
  });

  it('lists the queues with their figures', async () => {
    const res = await get('/v1/matchmaking/queues');
    expect(res.statusCode).toBe(200);
    const queues = res.json().queues as Array<{ name: string; matchesLastMinute: number }>;
    expect(queues.map((q) => q.name)).toEqual(['duel', 'arena-2v2', 'lonely']);
    expect(queues[0]?.matchesLastMinute).toBeGreaterThan(0);
  });
});
