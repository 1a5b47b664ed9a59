// The faster matcher must make exactly the matches the original one made (same tickets, teams, regions, quality,
// in the same order) on any pool: seeded random pools of many shapes, compared with the original kept in
// test/helpers/reference-matcher.ts.
import { describe, expect, it } from 'vitest';
import { balanceTeams, findMatches, matchmakingConfigSchema, queueRules, type QueueConfig, type Ticket } from '../../src/matchmaking/index.js';
import { referenceBalanceTeams, referenceFindMatches } from '../helpers/reference-matcher.js';
import { seededRandom } from '../helpers/seeded-random.js';

const ALL_REGIONS = ['eu', 'na', 'asia', 'sa', 'oce'];

function int(rnd: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

/** Steps that start at 0 s, move forward and only widen; sometimes a step repeats the previous value. */
function steps(rnd: () => number, first: number, grow: number): Array<{ afterSeconds: number; value: number }> {
  const out = [{ afterSeconds: 0, value: first }];
  for (let i = int(rnd, 0, 3); i > 0; i--) {
    const prev = out[out.length - 1] as { afterSeconds: number; value: number };
    out.push({ afterSeconds: prev.afterSeconds + int(rnd, 1, 20), value: prev.value + (rnd() < 0.2 ? 0 : rnd() * grow) });
  }
  return out;
}

function randomQueue(rnd: () => number): QueueConfig {
  const teamSize = int(rnd, 1, 5);
  const regions = ALL_REGIONS.slice(0, int(rnd, 1, ALL_REGIONS.length));
  const skill = steps(rnd, rnd() * 4, 8);
  const latency = steps(rnd, 30 + rnd() * 50, 120);
  return matchmakingConfigSchema.parse({
    queues: [{
      name: 'q', teams: int(rnd, 2, 4), teamSize, partyMax: int(rnd, 1, teamSize), regions, maxWaitSeconds: 120,
      skill: skill.map((s) => ({ afterSeconds: s.afterSeconds, maxSpread: s.value })),
      latency: latency.map((s) => ({ afterSeconds: s.afterSeconds, maxMs: s.value })),
    }],
  }).queues[0] as QueueConfig;
}

/**
 * A pool with the awkward cases in it: equal ratings and equal creation times (ties in both orders), parties whose
 * players reported different regions, players with no latency to some region, ids that do not sort like arrival.
 */
function randomPool(rnd: () => number, queue: QueueConfig, count: number, nowMs: number): Ticket[] {
  const coarse = rnd() < 0.4; // ratings on a coarse grid: many exact ties
  const partyShare = rnd() * 0.6;
  const latencyGrid = rnd() < 0.4 ? 10 : 0; // latencies on a 10 ms grid: a player's regions tie
  return Array.from({ length: count }, (_, i) => {
    const size = rnd() < partyShare ? int(rnd, 2, Math.max(2, queue.partyMax)) : 1;
    const partySize = Math.min(size, queue.partyMax);
    const base = 25 + 6 * (rnd() + rnd() + rnd() - 1.5);
    const home = queue.regions[int(rnd, 0, queue.regions.length - 1)] as string;
    const players = Array.from({ length: partySize }, (_, j) => {
      const latencies: Record<string, number> = {};
      for (const r of ALL_REGIONS) {
        if (r !== home && rnd() < 0.15) continue;
        latencies[r] = r === home ? 10 + rnd() * 60 : 50 + rnd() * 200;
        if (latencyGrid > 0) latencies[r] = latencyGrid * Math.round((latencies[r] as number) / latencyGrid);
        else if (rnd() < 0.3) latencies[r] = Math.round(latencies[r] as number);
      }
      return { playerId: `p${i}-${j}`, latencies };
    });
    const ratings = players.map(() => {
      const mu = base + (partySize > 1 ? 2 * (rnd() - 0.5) : 0);
      return { mu: coarse ? Math.round(mu * 2) / 2 : mu, sigma: 1 + rnd() * 8 };
    });
    const createdAtMs = nowMs - (rnd() < 0.3 ? 1000 * int(rnd, 0, 60) : Math.floor(rnd() * 70_000));
    const ticketId = `${Math.floor(rnd() * 1e9).toString(36)}-${i}`;
    return { ticketId, queue: queue.name, players, ratings, createdAt: new Date(createdAtMs).toISOString(), createdAtMs, status: 'searching' as const, matchId: null };
  });
}

describe('the faster matcher agrees with the original', () => {
  it('makes the same matches on 120 seeded random pools of many shapes', () => {
    let matched = 0;
    let partyMatches = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const rnd = seededRandom(seed);
      const queue = randomQueue(rnd);
      const rules = queueRules(queue);
      const nowMs = 5_000_000 + int(rnd, 0, 1000);
      const pool = randomPool(rnd, queue, int(rnd, 1, seed % 10 === 0 ? 3000 : 400), nowMs);
      const maxScan = rnd() < 0.3 ? int(rnd, 1, 12) : undefined;
      const predictDraw = rnd() < 0.8;
      let a = 0;
      let b = 0;
      const ours = findMatches(pool, rules, nowMs, { maxScan, predictDraw, newId: () => `m${a++}` });
      const reference = referenceFindMatches(pool, rules, nowMs, { maxScan, predictDraw, newId: () => `m${b++}` });
      expect(ours, `seed ${seed}`).toEqual(reference);
      matched += ours.length;
      const sizeOf = new Map(pool.map((t) => [t.ticketId, t.players.length]));
      partyMatches += ours.filter((m) => m.ticketIds.some((id) => (sizeOf.get(id) as number) > 1)).length;
    }
    // The comparison means something only if the pools made matches, parties among them.
    expect(matched).toBeGreaterThan(1000);
    expect(partyMatches).toBeGreaterThan(100);
  });

  it('makes the same matches round after round as the pool drains (the bench pool, 3,000 tickets)', () => {
    const rnd = seededRandom(4242);
    const queue = matchmakingConfigSchema.parse({
      queues: [{
        name: 'arena-3v3', teams: 2, teamSize: 3, partyMax: 3, regions: ['eu', 'na', 'asia', 'sa'], maxWaitSeconds: 120,
        skill: [{ afterSeconds: 0, maxSpread: 3 }, { afterSeconds: 10, maxSpread: 6 }, { afterSeconds: 30, maxSpread: 15 }],
        latency: [{ afterSeconds: 0, maxMs: 60 }, { afterSeconds: 20, maxMs: 150 }],
      }],
    }).queues[0] as QueueConfig;
    const rules = queueRules(queue);
    let nowMs = 1_000_000;
    let pool = randomPool(rnd, queue, 3000, nowMs);
    for (let round = 0; round < 5; round++) {
      let a = 0;
      let b = 0;
      const ours = findMatches(pool, rules, nowMs, { newId: () => `m${a++}` });
      expect(ours).toEqual(referenceFindMatches(pool, rules, nowMs, { newId: () => `m${b++}` }));
      const taken = new Set(ours.flatMap((m) => m.ticketIds));
      pool = pool.filter((t) => !taken.has(t.ticketId));
      nowMs += 7_000;
    }
  });

  it('balances teams exactly as before, including the fall back to plain packing', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = seededRandom(1000 + seed);
      const teams = int(rnd, 2, 4);
      const teamSize = int(rnd, 1, 5);
      const tickets: Ticket[] = [];
      let left = teams * teamSize;
      while (left > 0) {
        const size = Math.min(left, rnd() < 0.5 ? 1 : int(rnd, 2, teamSize));
        left -= size;
        const base = Math.round(20 + rnd() * 10);
        const ratings = Array.from({ length: size }, () => ({ mu: rnd() < 0.5 ? base : base + rnd(), sigma: 3 }));
        tickets.push({ ticketId: `t${tickets.length}`, queue: 'q', players: ratings.map((_, j) => ({ playerId: `p${tickets.length}-${j}`, latencies: { eu: 10 } })), ratings, createdAt: '', createdAtMs: 0, status: 'searching', matchId: null });
      }
      expect(balanceTeams(tickets, teams, teamSize), `seed ${seed}`).toEqual(referenceBalanceTeams(tickets, teams, teamSize));
    }
  });
});
