// The matcher's pure functions and the rating model: rules of every match, parties, widening, balance, openskill.
import { predictDraw, rate } from 'openskill';
import { describe, expect, it } from 'vitest';
import { balanceTeams, drawProbability, findMatches, matchmakingConfigSchema, queueRules, rateMatch, RATING_TAU, ruleViolations, type QueueConfig, type Ticket } from '../../src/matchmaking/index.js';
import { seededRandom } from '../helpers/seeded-random.js';

const queue: QueueConfig = matchmakingConfigSchema.parse({
  queues: [
    {
      name: 'arena-3v3', teams: 2, teamSize: 3, partyMax: 3, regions: ['eu', 'na'], maxWaitSeconds: 120,
      skill: [{ afterSeconds: 0, maxSpread: 3 }, { afterSeconds: 10, maxSpread: 6 }, { afterSeconds: 30, maxSpread: 15 }],
      latency: [{ afterSeconds: 0, maxMs: 60 }, { afterSeconds: 20, maxMs: 150 }],
    },
  ],
}).queues[0] as QueueConfig;
const rules = queueRules(queue);

let n = 0;
function ticket(mus: number[], latencies: Record<string, number>, createdAtMs: number): Ticket {
  const id = `t${n++}`;
  return {
    ticketId: id, queue: queue.name, createdAtMs, createdAt: new Date(createdAtMs).toISOString(), status: 'searching', matchId: null,
    players: mus.map((_, i) => ({ playerId: `${id}-p${i}`, latencies })),
    ratings: mus.map((mu) => ({ mu, sigma: 8 })),
  };
}

describe('findMatches', () => {
  it('never puts a ticket in two matches, never splits a party, and keeps every rule', () => {
    const rnd = seededRandom(7);
    const now = 1_000_000;
    const tickets = Array.from({ length: 600 }, () => {
      const size = rnd() < 0.2 ? 2 + Math.floor(rnd() * 2) : 1;
      const base = 25 + (rnd() - 0.5) * 20;
      const region: Record<string, number> = rnd() < 0.5 ? { eu: 20 + rnd() * 60, na: 100 + rnd() * 60 } : { na: 20 + rnd() * 60 };
      return ticket(Array.from({ length: size }, () => base + (rnd() - 0.5) * 2), region, now - Math.floor(rnd() * 60_000));
    });
    const matches = findMatches(tickets, rules, now);
    expect(matches.length).toBeGreaterThan(20);
    const seen = new Set<string>();
    const byId = new Map(tickets.map((t) => [t.ticketId, t]));
    for (const m of matches) {
      for (const id of m.ticketIds) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
      expect(ruleViolations(m, m.ticketIds.map((id) => byId.get(id) as Ticket), rules)).toEqual([]);
      expect(m.quality.predictedDraw).toBeGreaterThan(0);
    }
  });

  it('widens the skill window with the wait of the oldest ticket', () => {
    const now = 1_000_000;
    const lat = { eu: 30 };
    const spreadOut = (age: number) => [0, 1, 2, 3, 4, 5].map((i) => ticket([20 + i], lat, now - age * 1000));
    expect(findMatches(spreadOut(5), rules, now)).toEqual([]);
    const later = findMatches(spreadOut(12), rules, now);
    expect(later).toHaveLength(1);
    expect(later[0]?.quality.ratingSpread).toBe(5);
  });

  it('widens the latency cap with the wait and picks the region within it', () => {
    const now = 1_000_000;
    const make = (age: number) => Array.from({ length: 6 }, () => ticket([25], { eu: 120, na: 300 }, now - age * 1000));
    expect(findMatches(make(1), rules, now)).toEqual([]);
    const m = findMatches(make(25), rules, now);
    expect(m.map((x) => x.region)).toEqual(['eu']);
  });

  it('places parties whole and balances teams by rating', () => {
    const now = 1_000_000;
    const lat = { eu: 10 };
    const tickets = [ticket([30, 30], lat, now), ticket([28], lat, now), ticket([29], lat, now), ticket([29.5], lat, now), ticket([28.5], lat, now)];
    const [m] = findMatches(tickets, rules, now);
    expect(m).toBeDefined();
    const teams = (m as { teams: string[][] }).teams;
    const partyTeam = teams.findIndex((t) => t.includes(`${tickets[0]?.ticketId}-p0`));
    expect(teams[partyTeam]).toContain(`${tickets[0]?.ticketId}-p1`);
    // 30+30+x vs the other three: the weakest solo joins the party.
    expect(teams[partyTeam]).toContain(`${tickets[1]?.ticketId}-p0`);
  });

  it('balanceTeams refuses a split that cannot be packed', () => {
    const lat = { eu: 10 };
    expect(balanceTeams([ticket([1, 1], lat, 0), ticket([1, 1], lat, 0), ticket([1, 1], lat, 0)], 2, 3)).toBeNull();
  });
});

describe('queue config', () => {
  it('refuses steps that narrow, parties larger than a team, duplicate queues', () => {
    const base = { name: 'q', teams: 2, teamSize: 2, regions: ['eu'], skill: [{ afterSeconds: 0, maxSpread: 3 }], latency: [{ afterSeconds: 0, maxMs: 50 }] };
    expect(matchmakingConfigSchema.safeParse({ queues: [base] }).success).toBe(true);
    expect(matchmakingConfigSchema.safeParse({ queues: [{ ...base, skill: [{ afterSeconds: 0, maxSpread: 3 }, { afterSeconds: 5, maxSpread: 2 }] }] }).success).toBe(false);
    expect(matchmakingConfigSchema.safeParse({ queues: [{ ...base, skill: [{ afterSeconds: 1, maxSpread: 3 }] }] }).success).toBe(false);
    expect(matchmakingConfigSchema.safeParse({ queues: [{ ...base, partyMax: 3 }] }).success).toBe(false);
    expect(matchmakingConfigSchema.safeParse({ queues: [base, base] }).success).toBe(false);
  });
});

describe('ratings', () => {
  it("equal openskill's rate, and reproduce the README example of openskill", () => {
    const teams = [[{ mu: 25, sigma: 25 / 3 }, { mu: 32.444, sigma: 5.123 }], [{ mu: 43.381, sigma: 2.421 }, { mu: 25.188, sigma: 6.211 }]];
    const ours = rateMatch(teams, [1, 2]);
    expect(ours).toEqual(rate(teams, { rank: [1, 2], tau: RATING_TAU }));
    const rounded = ours.map((t) => t.map((r) => [Number(r.mu.toFixed(2)), Number(r.sigma.toFixed(2))]));
    expect(rounded).toEqual([[[28.67, 8.07], [33.83, 5.06]], [[43.07, 2.42], [23.15, 6.14]]]);
    expect(predictDraw(teams)).toBeGreaterThan(0);
  });

  it("predict the draw exactly as openskill's predictDraw does, to the last bit", () => {
    const rnd = seededRandom(11);
    for (let k = 0; k < 3000; k++) {
      const teamCount = 2 + Math.floor(rnd() * (k % 10 === 0 ? 15 : 3));
      const teamSize = 1 + Math.floor(rnd() * (k % 7 === 0 ? 64 : 5));
      const teams = Array.from({ length: teamCount }, () => Array.from({ length: teamSize }, () => ({ mu: -20 + rnd() * 90, sigma: 0.1 + rnd() * 12 })));
      expect(drawProbability(teams)).toBe(predictDraw(teams));
    }
    expect(drawProbability([[{ mu: 25, sigma: 25 / 3 }], [{ mu: 25, sigma: 25 / 3 }]])).toBe(predictDraw([[{ mu: 25, sigma: 25 / 3 }], [{ mu: 25, sigma: 25 / 3 }]]));
  });
});

describe('parties first when the nearest tickets leave no room for a party', () => {
  it('matches two parties of two even when a solo is nearer', () => {
    const now = 1_000_000;
    const twoByTwo = matchmakingConfigSchema.parse({ queues: [{ name: 'q', teams: 2, teamSize: 2, regions: ['eu'], skill: [{ afterSeconds: 0, maxSpread: 10 }], latency: [{ afterSeconds: 0, maxMs: 100 }] }] }).queues[0] as QueueConfig;
    const lat = { eu: 20 };
    const tickets = [ticket([25, 25], lat, now - 3000), ticket([25], lat, now - 2000), ticket([26, 26], lat, now - 1000)];
    const matches = findMatches(tickets, queueRules(twoByTwo), now);
    expect(matches.map((m) => m.ticketIds.sort())).toEqual([[tickets[0]?.ticketId, tickets[2]?.ticketId].sort()]);
  });
});
