// Matchmaking: the matcher's quality and speed on simulated time (the matcher is pure functions, so a simulated
// clock runs minutes of arrivals in seconds; the pool's Redis scripts and the HTTP path are not part of these figures).
// Tickets arrive at 100 and 1,000 a second over 4 regions, a fifth of them parties of 2–3, players' ratings spread as
// N(25, 6) and latencies lowest to a home region. Every 250 ms of simulated time a tick expires and matches.
// Baselines in the same run: FIFO (the first six players in arrival order in their best region, no rating) and a fixed
// window (Realmstate's matcher whose window and cap never widen from their first step).
// Arrivals stop after the run's duration and ticks go on until every ticket is matched or expired, so the shares
// count every ticket.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { findMatches, matchmakingConfigSchema, matchQuality, packParties, queueRules, type QueueConfig, type QueueRules, type Ticket } from '../../src/matchmaking/index.js';
import { seededRandom } from '../../test/helpers/seeded-random.js';
import { percentile, type BenchRow, type Scenario } from '../harness.js';

const REGIONS = ['eu', 'na', 'asia', 'sa'];
const QUEUE: QueueConfig = matchmakingConfigSchema.parse({
  queues: [{
    name: 'arena-3v3', teams: 2, teamSize: 3, partyMax: 3, regions: REGIONS, maxWaitSeconds: 120,
    skill: [{ afterSeconds: 0, maxSpread: 3 }, { afterSeconds: 10, maxSpread: 6 }, { afterSeconds: 30, maxSpread: 15 }],
    latency: [{ afterSeconds: 0, maxMs: 60 }, { afterSeconds: 20, maxMs: 150 }],
  }],
}).queues[0] as QueueConfig;
const TICK_MS = 250;

type Strategy = (searching: readonly Ticket[], nowMs: number) => Array<{ ticketIds: string[]; quality: { ratingSpread: number; predictedDraw: number } }>;

function gaussian(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

function makeTicket(rnd: () => number, id: number, createdAtMs: number): Ticket {
  const size = rnd() < 0.2 ? 2 + Math.floor(rnd() * 2) : 1;
  const home = REGIONS[Math.floor(rnd() * REGIONS.length)] as string;
  const partyMu = 25 + 6 * gaussian(rnd);
  const players = Array.from({ length: size }, (_, j) => {
    const latencies: Record<string, number> = {};
    for (const r of REGIONS) latencies[r] = Math.round(r === home ? 15 + 50 * rnd() : 80 + 180 * rnd());
    return { playerId: `p${id}-${j}`, latencies };
  });
  const ratings = players.map(() => ({ mu: partyMu + (size > 1 ? 1.5 * gaussian(rnd) : 0), sigma: 25 / 3 }));
  return { ticketId: `t${id}`, queue: QUEUE.name, players, ratings, createdAt: new Date(createdAtMs).toISOString(), createdAtMs, status: 'searching', matchId: null };
}

const fixedRules = (rules: QueueRules): QueueRules => ({ ...rules, skill: rules.skill.slice(0, 1), latency: rules.latency.slice(0, 1) });

function ours(rules: QueueRules): Strategy {
  let n = 0;
  return (searching, now) => findMatches(searching, rules, now, { newId: () => `m${n++}` });
}

/** FIFO: per best region, tickets in arrival order until six players pack into two teams. */
function fifo(): Strategy {
  return (searching, now) => {
    const out: ReturnType<Strategy> = [];
    const byRegion = new Map<string, Ticket[]>();
    for (const t of [...searching].sort((a, b) => a.createdAtMs - b.createdAtMs)) {
      const best = REGIONS.reduce((b, r) => (Math.max(...t.players.map((p) => p.latencies[r] as number)) < Math.max(...t.players.map((p) => p.latencies[b] as number)) ? r : b));
      byRegion.set(best, [...(byRegion.get(best) ?? []), t]);
    }
    for (const [region, list] of byRegion) {
      let group: Ticket[] = [];
      let count = 0;
      for (const t of list) {
        if (count + t.players.length > 6 || !packParties([...group, t].map((x) => x.players.length), 2, 3)) continue;
        group.push(t);
        count += t.players.length;
        if (count === 6) {
          const packing = packParties(group.map((x) => x.players.length), 2, 3) as number[];
          const teams: Ticket[][] = [[], []];
          group.forEach((x, i) => (teams[packing[i] as number] as Ticket[]).push(x));
          out.push({ ticketIds: group.map((x) => x.ticketId), quality: matchQuality(teams, region) });
          void now;
          group = [];
          count = 0;
        }
      }
    }
    return out;
  };
}

interface SimResult {
  waits: number[];
  matchedShare: number;
  meanSpread: number;
  meanDraw: number;
}

function simulate(strategy: Strategy, perSecond: number, seconds: number, seed: number): SimResult {
  const rnd = seededRandom(seed);
  const searching = new Map<string, Ticket>();
  const waits: number[] = [];
  let expired = 0;
  let spreadSum = 0;
  let drawSum = 0;
  let matches = 0;
  let id = 0;
  let owed = 0;
  const arrivalsEnd = seconds * 1000;
  for (let now = TICK_MS; now <= arrivalsEnd || searching.size > 0; now += TICK_MS) {
    if (now <= arrivalsEnd) {
      owed += (perSecond * TICK_MS) / 1000;
      for (; owed >= 1; owed--) {
        const t = makeTicket(rnd, id++, now - TICK_MS + Math.floor(rnd() * TICK_MS));
        searching.set(t.ticketId, t);
      }
    }
    for (const t of [...searching.values()]) {
      if (now - t.createdAtMs >= QUEUE.maxWaitSeconds * 1000) {
        searching.delete(t.ticketId);
        expired++;
      }
    }
    for (const m of strategy([...searching.values()], now)) {
      matches++;
      spreadSum += m.quality.ratingSpread;
      drawSum += m.quality.predictedDraw;
      for (const tid of m.ticketIds) {
        waits.push((now - (searching.get(tid) as Ticket).createdAtMs) / 1000);
        searching.delete(tid);
      }
    }
  }
  waits.sort((a, b) => a - b);
  return { waits, matchedShare: waits.length / (waits.length + expired), meanSpread: spreadSum / Math.max(1, matches), meanDraw: drawSum / Math.max(1, matches) };
}

/**
 * Mean CPU ms (user + system of this process, so a busy machine's waiting is not counted) of one tick's matching
 * over `count` searching tickets of mixed ages, and the wall-clock ms beside it.
 */
function tickCost(strategy: Strategy, count: number, repeats: number): { cpu: number; wall: number } {
  const rnd = seededRandom(99);
  const now = 200_000;
  const tickets = Array.from({ length: count }, (_, i) => makeTicket(rnd, i, now - Math.floor(rnd() * 60_000)));
  strategy(tickets, now);
  const t = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < repeats; i++) strategy(tickets, now);
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / 1000 / repeats, wall: (performance.now() - t) / repeats };
}

export const matchmakingScenario: Scenario = {
  name: 'matchmaking',
  title: 'matchmaking: time to match, share matched, spread and draw chance at 100 and 1,000 tickets/s; tick CPU at 10,000 searching',
  async run(ctx) {
    const rules = queueRules(QUEUE);
    const rows: BenchRow[] = [];
    const note = 'simulated time, matcher only (no Redis, no HTTP)';
    for (const [rate, seconds] of [[100, ctx.quick ? 30 : 300], [1000, ctx.quick ? 5 : 60]] as const) {
      ctx.progress(`${rate} tickets/s for ${seconds} s simulated: Realmstate`);
      const o = simulate(ours(rules), rate, seconds, 1);
      ctx.progress(`${rate} tickets/s: fixed window`);
      const w = simulate(ours(fixedRules(rules)), rate, seconds, 1);
      ctx.progress(`${rate} tickets/s: FIFO`);
      const f = simulate(fifo(), rate, seconds, 1);
      const s = `matchmaking ${rate}/s`;
      for (const p of [50, 95, 99]) {
        rows.push({ scenario: s, metric: `time to match p${p}`, unit: 's', ours: percentile(o.waits, p), baseline: percentile(w.waits, p), baselineName: 'fixed window', better: 'lower', note });
      }
      rows.push({ scenario: s, metric: 'matched before expiry', unit: '%', ours: 100 * o.matchedShare, baseline: 100 * w.matchedShare, baselineName: 'fixed window', better: 'higher', target: rate === 100 ? '≥ 99 %' : undefined, met: rate === 100 ? o.matchedShare >= 0.99 : undefined, note });
      rows.push({ scenario: s, metric: 'matched before expiry (vs FIFO)', unit: '%', ours: 100 * o.matchedShare, baseline: 100 * f.matchedShare, baselineName: 'FIFO', better: 'higher', note });
      rows.push({ scenario: s, metric: 'mean rating spread', unit: 'mu', ours: o.meanSpread, baseline: f.meanSpread, baselineName: 'FIFO', better: 'lower', target: rate === 100 ? '< FIFO' : undefined, met: rate === 100 ? o.meanSpread < f.meanSpread : undefined, note });
      rows.push({ scenario: s, metric: 'mean predicted draw', unit: 'p', ours: o.meanDraw, baseline: f.meanDraw, baselineName: 'FIFO', better: 'higher', note });
    }
    const searching = 10_000;
    const repeats = ctx.quick ? 3 : 10;
    ctx.progress(`one tick over ${searching} searching tickets`);
    const tick = tickCost(ours(rules), searching, repeats);
    const tickFifo = tickCost(fifo(), searching, repeats);
    rows.push({
      scenario: 'matchmaking tick', metric: `matcher CPU per tick, ${searching.toLocaleString('en-US')} searching`, unit: 'ms', ours: tick.cpu, baseline: tickFifo.cpu, baselineName: 'FIFO',
      better: 'lower', target: '≤ 50 ms', met: tick.cpu <= 50, note: `process CPU time of one findMatches over the whole pool (wall clock on this run: ${tick.wall.toFixed(1)} ms, FIFO ${tickFifo.wall.toFixed(1)} ms; load average ${os.loadavg()[0]?.toFixed(1)})`,
    });
    return rows;
  },
};
