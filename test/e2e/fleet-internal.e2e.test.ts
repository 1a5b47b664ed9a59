// Realmstate's own appends across a fleet: trades between players owned by different instances commit (both sides
// settled, goods conserved) or are rejected as on one instance, a match result's rating updates land on players
// another instance owns, and an admin rollback sent to an instance that does not own the player works.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { instanceIds, instances, startFleet, type TestFleet } from '../helpers/fleet.js';
import { adminHeaders, getJson, headers, postJson } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

const CONFIG = `version: 1
limits:
  rateLimits: { perKeyPerSecond: 1000000000, perPlayerPerSecond: 1000000000, burst: 0 }
matchmaking:
  queues:
    - name: duel
      teams: 2
      teamSize: 1
      regions: [eu]
      maxWaitSeconds: 60
      rating: { mu: 25, sigma: 8.333 }
      skill: [{ afterSeconds: 0, maxSpread: 50 }]
      latency: [{ afterSeconds: 0, maxMs: 100 }]
`;

describe('internal appends in a fleet of two instances', () => {
  let fleet: TestFleet | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'rs-fleet-internal-'));
  afterAll(async () => {
    await fleet?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trades, rating updates and rollbacks reach the owner of each player', async () => {
    const config = join(dir, 'game.yaml');
    writeFileSync(config, CONFIG);
    // Leases long enough that a busy machine's pauses do not move slots during the test.
    fleet = await startFleet(2, { REALMSTATE_LEASE_MS: '6000', REALMSTATE_CONFIG: config });
    const urls = fleet.servers.map((s) => s.url) as [string, string];
    await waitFor(async () => {
      const list = await instances(urls[0]);
      return list.length === 2 && list.every((i) => i.slots > 1000) && list.reduce((k, i) => k + i.slots, 0) === 4096;
    }, 'slots spread over both instances', 60_000);
    const ids = await instanceIds(urls);
    const idOf = [ids.get(urls[0]) as string, ids.get(urls[1]) as string];
    const run = Date.now().toString(36);

    // Players owned by each instance (the owner answers for a player wherever the request lands).
    const owned: [string[], string[]] = [[], []];
    for (let k = 0; owned[0].length < 8 || owned[1].length < 8; k++) {
      const id = `fi-${run}-${k}`;
      const res = await fetch(`${urls[0]}/v1/players/${id}`, { headers });
      await res.text();
      const owner = idOf.indexOf(res.headers.get('x-realmstate-instance') ?? '');
      expect(owner).toBeGreaterThanOrEqual(0);
      const list = owned[owner as 0 | 1];
      if (list.length < 8) list.push(id);
    }
    const state = async (id: string) => {
      // Plain fetch: the document's player schema does not list `ratings` yet.
      const res = await fetch(`${urls[0]}/v1/players/${id}?consistency=strong`, { headers });
      expect(res.status).toBe(200);
      return (await res.json()) as { seq: number; stats: Record<string, number>; items: Record<string, number> };
    };
    const append = async (url: string, id: string, events: unknown[]) => {
      const res = await postJson(`${url}/v1/players/${id}/events`, { events });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as { seq: number };
    };

    // Trades: side a owned by instance 0, side b by instance 1, each sent to either instance (one side is always remote).
    const pairs = owned[0].slice(0, 6).map((a, i) => [a, owned[1][i] as string] as const);
    for (const [a, b] of pairs) {
      await append(urls[0], a, [{ type: 'item.grant', data: { item: 'sword', qty: 3 } }]);
      await append(urls[1], b, [{ type: 'stat.set', data: { stat: 'gold', value: 900 } }]);
    }
    const trades = await Promise.all(
      pairs.flatMap(([a, b], i) =>
        [0, 1].map(async (round) => {
          const tradeId = `fi-${run}-t-${i}-${round}`;
          const res = await postJson(`${urls[(i + round) % 2]}/v1/trades`, { tradeId, a: { playerId: a, gives: { items: { sword: 1 } } }, b: { playerId: b, gives: { stats: { gold: 100 } } } });
          return { tradeId, res };
        }),
      ),
    );
    for (const { tradeId, res } of trades) {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ tradeId, status: 'committed' });
      const view = await getJson(`${urls[1]}/v1/trades/${tradeId}`);
      expect(view.body).toMatchObject({ status: 'committed', a: { seq: expect.any(Number) }, b: { seq: expect.any(Number) } });
      expect(view.body.finishedAt).toEqual(expect.any(String));
    }
    let swords = 0;
    let gold = 0;
    for (const [a, b] of pairs) {
      const [sa, sb] = [await state(a), await state(b)];
      // Two trades each: two swords moved to b, 200 gold to a; nothing left in escrow.
      expect({ a: sa.items.sword, aGold: sa.stats.gold, b: sb.items.sword, bGold: sb.stats.gold }).toEqual({ a: 1, aGold: 200, b: 2, bGold: 700 });
      expect((sa as { trades?: unknown }).trades).toBeUndefined();
      expect((sb as { trades?: unknown }).trades).toBeUndefined();
      swords += (sa.items.sword ?? 0) + (sb.items.sword ?? 0);
      gold += (sa.stats.gold ?? 0) + (sb.stats.gold ?? 0);
      // Plain fetch: the document's event schema lists only the public event types, not the trade events in a log.
      const log = (await (await fetch(`${urls[1]}/v1/players/${a}/events`, { headers })).json()) as { events: Array<{ type: string }> };
      const types = log.events.map((e) => e.type);
      expect(types.filter((t) => t === 'trade.hold').length).toBe(2);
      expect(types.filter((t) => t === 'trade.settle').length).toBe(2);
    }
    expect({ swords, gold }).toEqual({ swords: 3 * pairs.length, gold: 900 * pairs.length });

    // A side that lacks what it gives is a rejection, as on one instance, even when that side is remote.
    const [poorA, poorB] = [owned[0][6] as string, owned[1][6] as string];
    await append(urls[0], poorA, [{ type: 'item.grant', data: { item: 'sword', qty: 1 } }]);
    await append(urls[1], poorB, [{ type: 'stat.set', data: { stat: 'gold', value: 10 } }]);
    const rejected = await postJson(`${urls[0]}/v1/trades`, { tradeId: `fi-${run}-poor`, a: { playerId: poorA, gives: { items: { sword: 1 } } }, b: { playerId: poorB, gives: { stats: { gold: 100 } } } });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(422);
    expect(await state(poorA)).toMatchObject({ items: { sword: 1 } });
    expect(await state(poorB)).toMatchObject({ stats: { gold: 10 } });

    // A match between a player of each instance: both rating updates land, whichever instance records the result.
    const duel = [owned[0][7] as string, owned[1][7] as string];
    const tickets = await Promise.all(
      duel.map(async (playerId, i) => {
        const res = await postJson(`${urls[i % 2]}/v1/matchmaking/tickets`, { queue: 'duel', players: [{ playerId, latencies: { eu: 20 } }] });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        return res.body.ticketId as string;
      }),
    );
    let matchId = '';
    await waitFor(async () => {
      const res = await getJson(`${urls[0]}/v1/matchmaking/tickets/${tickets[0]}`);
      const body = res.body as { status: string; match: { matchId: string } | null };
      if (body.status === 'matched' && body.match) matchId = body.match.matchId;
      return matchId !== '';
    }, 'the duel to be matched', 30_000);
    const result = await postJson(`${urls[0]}/v1/matchmaking/matches/${matchId}/result`, { ranks: [1, 2] });
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    for (const id of duel) {
      const s = (await state(id)) as unknown as { ratings?: Record<string, { matches: number; lastMatchId: string }> };
      expect(s.ratings?.duel).toMatchObject({ matches: 1, lastMatchId: matchId });
    }

    // An admin rollback of a player owned by instance 1, sent to instance 0.
    const victim = owned[1][5] as string;
    const before = await state(victim);
    await append(urls[1], victim, [{ type: 'stat.add', data: { stat: 'gold', amount: 5000 } }]);
    const rb = await fetch(`${urls[0]}/v1/admin/players/${victim}:rollback`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ toSeq: before.seq, reason: 'duped gold' }) });
    const rbBody = (await rb.json()) as { seq: number; state: { stats: Record<string, number> } };
    expect(rb.status, JSON.stringify(rbBody)).toBe(200);
    expect(rbBody.seq).toBe(before.seq + 2);
    expect(rbBody.state.stats).toEqual(before.stats);
    expect((await state(victim)).stats).toEqual(before.stats);

    // The instance-only route refuses the game key and is not in the public document.
    const direct = await fetch(`${urls[1]}/v1/fleet/players/${victim}/internal-events`, { method: 'POST', headers, body: JSON.stringify({ events: [{ type: 'player.banned', data: { reason: 'x' } }] }) });
    expect(direct.status).toBe(403);
    // The rollback is in the audit trail; the appends the instances sent each other (trade steps, rating updates) are not.
    const audit = (await (await fetch(`${urls[0]}/v1/admin/audit?limit=1000`, { headers: adminHeaders })).json()) as { entries: Array<{ action: string; target: string }> };
    expect(audit.entries.filter((e) => e.action === 'players.rollback').map((e) => e.target)).toEqual([`player ${victim} to seq ${before.seq}`]);
    expect(audit.entries.filter((e) => /internal-events/.test(`${e.action} ${e.target}`))).toEqual([]);
    const doc = (await (await fetch(`${urls[0]}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.includes('internal-events'))).toEqual([]);
  }, 180_000);
});
