// One contract for both ticket pools: in-process (embedded) and Redis. Races are run for real: many claims and
// cancels in flight at once, and exactly one of each contested pair wins.
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisClient, connectRedis } from '../../src/backends/redis/redis-client.js';
import { MemoryTicketPool, RedisTicketPool, type Match, type Ticket, type TicketPool } from '../../src/matchmaking/index.js';
import { deleteKeys, REDIS_TEST_URL as REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const factories: Record<string, () => Promise<{ pool: TicketPool; cleanup: () => Promise<void> }>> = {
  memory: async () => ({ pool: new MemoryTicketPool(), cleanup: async () => {} }),
  redis: async () => {
    const prefix = uniquePrefix();
    const client = createRedisClient(REDIS_URL);
    await connectRedis(client);
    return { pool: new RedisTicketPool(client, { keyPrefix: prefix }), cleanup: async () => { await deleteKeys(prefix); client.disconnect(); } };
  },
};

let n = 0;
function ticket(players: string[], queue = 'q', createdAtMs = Date.now()): Ticket {
  return {
    ticketId: `tk-${n++}-${Math.random().toString(36).slice(2)}`, queue, createdAtMs, createdAt: new Date(createdAtMs).toISOString(), status: 'searching', matchId: null,
    players: players.map((playerId) => ({ playerId, latencies: { eu: 20 } })), ratings: players.map(() => ({ mu: 25, sigma: 8 })),
  };
}

function match(tickets: Ticket[], queue = 'q'): Match {
  return {
    matchId: `m-${n++}`, queue, region: 'eu', teams: [tickets.flatMap((t) => t.players.map((p) => p.playerId))], createdAt: new Date().toISOString(),
    quality: { ratingSpread: 0, maxLatencyMs: 20, predictedDraw: 0.5 }, ticketIds: tickets.map((t) => t.ticketId),
  };
}

describe.each(Object.keys(factories))('ticket pool contract: %s', (kind) => {
  let h: Awaited<ReturnType<(typeof factories)[string]>> | undefined;
  const open = async () => {
    h = await (factories[kind] as (typeof factories)[string])();
    return h.pool;
  };
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('keeps a player in at most one open ticket, across queues, until the ticket closes', async () => {
    const pool = await open();
    const a = ticket(['p1', 'p2']);
    expect(await pool.create(a)).toEqual({ ok: true });
    expect(await pool.create(ticket(['p3', 'p2'], 'other'))).toEqual({ ok: false, openTicketId: a.ticketId });
    expect((await pool.get(a.ticketId))?.status).toBe('searching');
    expect(await pool.close('q', [a.ticketId], 'cancelled')).toEqual(['ok']);
    expect(await pool.close('q', [a.ticketId], 'expired')).toEqual(['cancelled']);
    expect(await pool.close('q', ['nope'], 'expired')).toEqual(['missing']);
    expect((await pool.get(a.ticketId))?.status).toBe('cancelled');
    expect(await pool.create(ticket(['p2']))).toEqual({ ok: true });
    expect(await pool.searching('q')).toHaveLength(1);
  });

  it('claims all the tickets of a match or none, and frees their players', async () => {
    const pool = await open();
    const [a, b, c] = [ticket(['a']), ticket(['b']), ticket(['c'])] as [Ticket, Ticket, Ticket];
    for (const t of [a, b, c]) await pool.create(t);
    await pool.close('q', [c.ticketId], 'cancelled');
    expect(await pool.claim(match([a, c]), Date.now())).toEqual({ ok: false, gone: [c.ticketId] });
    expect((await pool.get(a.ticketId))?.status).toBe('searching');
    const m = match([a, b]);
    expect(await pool.claim(m, Date.now())).toEqual({ ok: true, seq: 1 });
    expect(await pool.get(a.ticketId)).toMatchObject({ status: 'matched', matchId: m.matchId });
    expect(await pool.searching('q')).toEqual([]);
    expect(await pool.create(ticket(['a']))).toEqual({ ok: true });
    expect(await pool.getMatch(m.matchId)).toMatchObject({ matchId: m.matchId, seq: 1, result: null, ticketIds: m.ticketIds });
    const stats = await pool.stats('q', Date.now());
    expect(stats).toMatchObject({ searching: 1, matchesLastMinute: 1 });
    expect((await pool.unpublished(10)).map((x) => x.matchId)).toEqual([m.matchId]);
    await pool.published([m.matchId]);
    expect(await pool.unpublished(10)).toEqual([]);
  });

  it('lists a queue\'s newest matches, newest first: the newest 20 also after a minute, every one of the last minute', async () => {
    const pool = await open();
    const now = Date.now();
    const old: string[] = [];
    for (let i = 0; i < 25; i++) {
      const t = ticket([`old-${i}`]);
      await pool.create(t);
      const m = match([t]);
      // A match every 61 s: each claim finds the ones before it older than a minute.
      expect(await pool.claim(m, now - 3_600_000 + i * 61_000)).toMatchObject({ ok: true });
      old.push(m.matchId);
    }
    const other = ticket(['elsewhere'], 'other');
    await pool.create(other);
    await pool.claim(match([other], 'other'), now);
    // Older than a minute: only the 20 newest stay listed, and none counts as a match of the last minute.
    expect((await pool.recentMatches('q', 100)).map((m) => m.matchId)).toEqual(old.slice(-20).reverse());
    expect((await pool.stats('q', now)).matchesLastMinute).toBe(0);
    const fresh: string[] = [];
    for (let i = 0; i < 30; i++) {
      const t = ticket([`new-${i}`]);
      await pool.create(t);
      const m = match([t]);
      await pool.claim(m, now + i);
      fresh.push(m.matchId);
    }
    // Within the minute every match stays (the count per minute needs them), beyond the 20.
    expect((await pool.recentMatches('q', 100)).map((m) => m.matchId)).toEqual(fresh.slice().reverse());
    expect((await pool.stats('q', now + 30)).matchesLastMinute).toBe(30);
    expect((await pool.recentMatches('q', 3)).map((m) => m.matchId)).toEqual(fresh.slice(-3).reverse());
    expect((await pool.recentMatches('other', 10))).toHaveLength(1);
    expect(await pool.recentMatches('none', 10)).toEqual([]);
  });

  it('lets exactly one of two racing claims, or a claim and a cancel, win', async () => {
    const pool = await open();
    for (let round = 0; round < 30; round++) {
      const ts = [ticket([`r${round}a`]), ticket([`r${round}b`]), ticket([`r${round}c`])] as [Ticket, Ticket, Ticket];
      for (const t of ts) await pool.create(t);
      const [one, two, cancel] = await Promise.all([
        pool.claim(match([ts[0], ts[1]]), Date.now()),
        pool.claim(match([ts[1], ts[2]]), Date.now()),
        pool.close('q', [ts[2].ticketId], 'cancelled'),
      ]);
      const wins = [one.ok, two.ok].filter(Boolean).length;
      expect(wins).toBeLessThanOrEqual(1);
      if (two.ok) expect(cancel).toEqual(['matched']);
      if (cancel[0] === 'ok') expect(two.ok).toBe(false);
      expect(one.ok || two.ok || cancel[0] === 'ok').toBe(true);
    }
  });

  it('stores one result per match and tracks whether it was applied', async () => {
    const pool = await open();
    const t = ticket(['x']);
    await pool.create(t);
    const m = match([t]);
    await pool.claim(m, Date.now());
    const result = { ranks: [1], updates: [{ playerId: 'x', mu: 26, sigma: 7 }], at: new Date().toISOString() };
    expect(await pool.setResult('nope', result, 1000)).toBe('missing');
    expect(await pool.setResult(m.matchId, result, 1000)).toBe('ok');
    expect(await pool.setResult(m.matchId, { ...result, ranks: [2] }, 1000)).toBe('conflict');
    expect((await pool.getMatch(m.matchId))?.result?.ranks).toEqual([1]);
    expect(await pool.unappliedResults(2000, 10)).toEqual([m.matchId]);
    expect(await pool.unappliedResults(500, 10)).toEqual([]);
    await pool.resultApplied(m.matchId);
    expect(await pool.unappliedResults(2000, 10)).toEqual([]);
  });

  it('gives a lease to one holder at a time until it is released or runs out', async () => {
    const pool = await open();
    expect(await pool.lease('matcher:q', 'a', 200)).toBe(true);
    expect(await pool.lease('matcher:q', 'b', 200)).toBe(false);
    expect(await pool.lease('matcher:q', 'a', 200)).toBe(true);
    await pool.releaseLease('matcher:q', 'b');
    expect(await pool.lease('matcher:q', 'b', 200)).toBe(false);
    await pool.releaseLease('matcher:q', 'a');
    expect(await pool.lease('matcher:q', 'b', 50)).toBe(true);
    await new Promise((r) => setTimeout(r, 120));
    expect(await pool.lease('matcher:q', 'a', 200)).toBe(true);
  });
});
