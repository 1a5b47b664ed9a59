// The matcher as it was before its tick was made faster (objects per candidate, a Map of latencies each), kept
// verbatim as the reference the faster matcher must agree with, match for match, on seeded random pools.
import { randomUUID } from 'node:crypto';
import { stepValue, type QueueRules } from '../../src/matchmaking/queue-config.js';
import { predictDraw } from 'openskill';
import type { Match, PlayerRating, Ticket } from '../../src/matchmaking/ticket.js';

/** The draw probability as the matcher computed it then: openskill's own predictDraw. */
function drawProbability(teams: readonly PlayerRating[][]): number {
  return predictDraw(teams.map((t) => t.map((r) => ({ mu: r.mu, sigma: r.sigma }))));
}

/** A ticket as the matcher sees it. */
interface Candidate {
  ticket: Ticket;
  size: number;
  minMu: number;
  maxMu: number;
  meanMu: number;
  /** Largest latency of its players to each region (absent: some player has none). */
  latency: Map<string, number>;
  /** Taken by a match proposed in this round. */
  used: boolean;
  /** Its position in each RatingList (by list id), -1 when not in it. */
  positions: number[];
}

/**
 * The candidates that can play in one region under one latency cap, by mean rating, with skip pointers past the
 * candidates already taken (path-compressed), so an anchor's scan does not walk over them again and again.
 */
class RatingList {
  private readonly up: Int32Array;
  private readonly down: Int32Array;

  constructor(readonly id: number, readonly list: Candidate[]) {
    this.up = new Int32Array(list.length);
    this.down = new Int32Array(list.length);
    for (let i = 0; i < list.length; i++) {
      (list[i] as Candidate).positions[id] = i;
      this.up[i] = i;
      this.down[i] = i;
    }
  }

  position(c: Candidate): number {
    return c.positions[this.id] as number;
  }

  /** The first free position at or above i (list.length if none). */
  freeUp(i: number): number {
    let j = i;
    while (j < this.list.length && (this.list[j] as Candidate).used) j = (this.up[j] as number) > j ? (this.up[j] as number) : j + 1;
    for (let k = i; k < j; ) {
      const next = (this.up[k] as number) > k ? (this.up[k] as number) : k + 1;
      this.up[k] = j;
      k = next;
    }
    return j;
  }

  /** The first free position at or below i (-1 if none). */
  freeDown(i: number): number {
    let j = i;
    while (j >= 0 && (this.list[j] as Candidate).used) j = (this.down[j] as number) < j ? (this.down[j] as number) : j - 1;
    for (let k = i; k > j; ) {
      const next = (this.down[k] as number) < k ? (this.down[k] as number) : k - 1;
      this.down[k] = j;
      k = next;
    }
    return j;
  }
}

interface MatcherOptions {
  /** Most candidates looked at around one anchor in one region; bounds the work of a tick. Default 4000. */
  maxScan?: number;
  /** Match ids (tests, benchmarks with a seeded random). Default randomUUID. */
  newId?: () => string;
  /** Whether to compute the predicted draw (costs an openskill call per match). Default true. */
  predictDraw?: boolean;
}

function candidateOf(ticket: Ticket): Candidate {
  let minMu = Infinity;
  let maxMu = -Infinity;
  let sum = 0;
  for (const r of ticket.ratings) {
    minMu = Math.min(minMu, r.mu);
    maxMu = Math.max(maxMu, r.mu);
    sum += r.mu;
  }
  const latency = new Map<string, number>();
  const first = ticket.players[0];
  if (first) {
    for (const region of Object.keys(first.latencies)) {
      let worst = 0;
      let all = true;
      for (const p of ticket.players) {
        const ms = p.latencies[region];
        if (ms === undefined) {
          all = false;
          break;
        }
        worst = Math.max(worst, ms);
      }
      if (all) latency.set(region, worst);
    }
  }
  return { ticket, size: ticket.players.length, minMu, maxMu, meanMu: sum / Math.max(1, ticket.ratings.length), latency, used: false, positions: [] };
}

/** First-fit decreasing of party sizes into `teams` teams of `teamSize`; the team of each size's index, or null. */
function packParties(sizes: readonly number[], teams: number, teamSize: number): number[] | null {
  const order = sizes.map((s, i) => ({ s, i })).sort((a, b) => b.s - a.s);
  const room = new Array<number>(teams).fill(teamSize);
  const out = new Array<number>(sizes.length);
  for (const { s, i } of order) {
    let best = -1;
    for (let t = 0; t < teams; t++) if ((room[t] as number) >= s && (best < 0 || (room[t] as number) > (room[best] as number))) best = t;
    if (best < 0) return null;
    room[best] = (room[best] as number) - s;
    out[i] = best;
  }
  return out;
}

/**
 * Splits tickets (parties whole) into teams of equal size with rating sums as close as possible: parties first,
 * largest and strongest to the weakest team with room, then solos the same way, then swaps of equal-sized
 * tickets between teams while a swap narrows the gap between the strongest and weakest team.
 */
export function referenceBalanceTeams(tickets: readonly Ticket[], teams: number, teamSize: number): Ticket[][] | null {
  const units = tickets.map((t) => ({ t, size: t.players.length, sum: t.ratings.reduce((s, r) => s + r.mu, 0) }));
  if (units.reduce((n, u) => n + u.size, 0) !== teams * teamSize) return null;
  units.sort((a, b) => b.size - a.size || b.sum / b.size - a.sum / a.size);
  const members: Array<typeof units> = Array.from({ length: teams }, () => []);
  const room = new Array<number>(teams).fill(teamSize);
  const sums = new Array<number>(teams).fill(0);
  for (const u of units) {
    let best = -1;
    for (let t = 0; t < teams; t++) {
      if ((room[t] as number) < u.size) continue;
      if (best < 0 || (sums[t] as number) < (sums[best] as number) || ((sums[t] as number) === (sums[best] as number) && (room[t] as number) > (room[best] as number))) best = t;
    }
    if (best < 0) {
      // The greedy order left no room for this party: fall back to the packing that is known to fit.
      const packing = packParties(units.map((x) => x.size), teams, teamSize);
      if (!packing) return null;
      const out: Ticket[][] = Array.from({ length: teams }, () => []);
      units.forEach((x, i) => (out[packing[i] as number] as Ticket[]).push(x.t));
      return out;
    }
    (members[best] as typeof units).push(u);
    room[best] = (room[best] as number) - u.size;
    sums[best] = (sums[best] as number) + u.sum;
  }
  const gap = () => Math.max(...sums) - Math.min(...sums);
  for (let pass = 0; pass < 4; pass++) {
    let improved = false;
    for (let a = 0; a < teams; a++) {
      for (let b = a + 1; b < teams; b++) {
        const ma = members[a] as typeof units;
        const mb = members[b] as typeof units;
        for (let i = 0; i < ma.length; i++) {
          for (let j = 0; j < mb.length; j++) {
            const ua = ma[i] as (typeof units)[number];
            const ub = mb[j] as (typeof units)[number];
            if (ua.size !== ub.size || ua.sum === ub.sum) continue;
            const before = gap();
            sums[a] = (sums[a] as number) - ua.sum + ub.sum;
            sums[b] = (sums[b] as number) - ub.sum + ua.sum;
            if (gap() < before - 1e-9) {
              ma[i] = ub;
              mb[j] = ua;
              improved = true;
            } else {
              sums[a] = (sums[a] as number) + ua.sum - ub.sum;
              sums[b] = (sums[b] as number) + ub.sum - ua.sum;
            }
          }
        }
      }
    }
    if (!improved) break;
  }
  return members.map((m) => m.map((u) => u.t));
}

/** The quality figures of a match of these teams in this region. */
export function referenceMatchQuality(teams: readonly Ticket[][], region: string, predict = true): Match['quality'] {
  let min = Infinity;
  let max = -Infinity;
  let latency = 0;
  const ratingTeams: PlayerRating[][] = [];
  for (const team of teams) {
    const ratings: PlayerRating[] = [];
    for (const t of team) {
      t.ratings.forEach((r, i) => {
        min = Math.min(min, r.mu);
        max = Math.max(max, r.mu);
        ratings.push(r);
        latency = Math.max(latency, (t.players[i] as Ticket['players'][number]).latencies[region] ?? Infinity);
      });
    }
    ratingTeams.push(ratings);
  }
  return { ratingSpread: max - min, maxLatencyMs: latency, predictedDraw: predict ? drawProbability(ratingTeams) : 0 };
}

/**
 * The matches to propose now, oldest anchor first; a ticket appears in at most one of them. Expired tickets must
 * be taken out before (the service expires them first).
 */
export function referenceFindMatches(tickets: readonly Ticket[], rules: QueueRules, nowMs: number, options: MatcherOptions = {}): Match[] {
  const { queue } = rules;
  const total = queue.teams * queue.teamSize;
  const maxScan = options.maxScan ?? 4000;
  const newId = options.newId ?? randomUUID;
  const candidates = tickets.map(candidateOf);
  const byAge = [...candidates].sort((a, b) => a.ticket.createdAtMs - b.ticket.createdAtMs || (a.ticket.ticketId < b.ticket.ticketId ? -1 : 1));
  // Per region and latency cap of the queue: the candidates within that cap there, by mean rating.
  const caps = [...new Set(rules.latency.map((s) => s.value))];
  const byRating = [...candidates].sort((a, b) => a.meanMu - b.meanMu);
  const lists = new Map<string, Map<number, RatingList>>();
  let listId = 0;
  for (const region of queue.regions) {
    const inRegion = byRating.filter((c) => c.latency.has(region));
    lists.set(region, new Map(caps.map((cap) => [cap, new RatingList(listId++, inRegion.filter((c) => (c.latency.get(region) as number) <= cap))])));
  }
  const createdAt = new Date(nowMs).toISOString();
  const out: Match[] = [];
  for (const anchor of byAge) {
    if (anchor.used) continue;
    const wait = (nowMs - anchor.ticket.createdAtMs) / 1000;
    const spread = stepValue(rules.skill, wait);
    const cap = stepValue(rules.latency, wait);
    const regions = queue.regions.filter((r) => (anchor.latency.get(r) ?? Infinity) <= cap).sort((a, b) => (anchor.latency.get(a) as number) - (anchor.latency.get(b) as number));
    for (const region of regions) {
      const index = (lists.get(region) as Map<number, RatingList>).get(cap) as RatingList;
      const picked = pick(anchor, index, spread, total, queue.teams, queue.teamSize, maxScan);
      if (!picked) continue;
      const teams = referenceBalanceTeams(picked.map((c) => c.ticket), queue.teams, queue.teamSize);
      if (!teams) continue;
      for (const c of picked) c.used = true;
      out.push({
        matchId: newId(),
        queue: queue.name,
        region,
        teams: teams.map((team) => team.flatMap((t) => t.players.map((p) => p.playerId))),
        createdAt,
        quality: referenceMatchQuality(teams, region, options.predictDraw ?? true),
        ticketIds: picked.map((c) => c.ticket.ticketId),
      });
      break;
    }
  }
  return out;
}

/**
 * Grows a match around the anchor, nearest rating first on either side, keeping spread, cap and packing. When that
 * greedy pass leaves the match short (solos taken first can leave no room for a party), a second pass over the same
 * candidates places parties first, largest first, then the rest by rating.
 */
function pick(anchor: Candidate, index: RatingList, spread: number, total: number, teams: number, teamSize: number, maxScan: number): Candidate[] | null {
  if (anchor.maxMu - anchor.minMu > spread) return null;
  const { list } = index;
  const at = index.position(anchor);
  const seen: Candidate[] = [];
  let down = at - 1;
  let up = at + 1;
  const greedy = new Selection(anchor, spread, total, teams, teamSize);
  for (let scanned = 0; !greedy.full && scanned < maxScan; scanned++) {
    if (down >= 0) down = index.freeDown(down);
    if (up < list.length) up = index.freeUp(up);
    const below = down >= 0 ? (list[down] as Candidate) : undefined;
    const above = up < list.length ? (list[up] as Candidate) : undefined;
    const belowOk = below !== undefined && anchor.meanMu - below.meanMu <= spread;
    const aboveOk = above !== undefined && above.meanMu - anchor.meanMu <= spread;
    let c: Candidate;
    if (belowOk && (!aboveOk || anchor.meanMu - (below as Candidate).meanMu <= (above as Candidate).meanMu - anchor.meanMu)) {
      c = below as Candidate;
      down--;
    } else if (aboveOk) {
      c = above as Candidate;
      up++;
    } else break;
    seen.push(c);
    greedy.offer(c);
  }
  if (greedy.full) return greedy.picked;
  if (!seen.some((c) => c.size > 1)) return null;
  const partiesFirst = new Selection(anchor, spread, total, teams, teamSize);
  const order = seen.map((c, i) => ({ c, i })).sort((a, b) => b.c.size - a.c.size || a.i - b.i);
  for (const { c } of order) {
    if (partiesFirst.full) break;
    partiesFirst.offer(c);
  }
  return partiesFirst.full ? partiesFirst.picked : null;
}

/** Tickets chosen for one match so far, with the checks each newcomer must pass. */
class Selection {
  readonly picked: Candidate[];
  private readonly sizes: number[];
  private count: number;
  private lo: number;
  private hi: number;

  constructor(anchor: Candidate, private readonly spread: number, private readonly total: number, private readonly teams: number, private readonly teamSize: number) {
    this.picked = [anchor];
    this.sizes = [anchor.size];
    this.count = anchor.size;
    this.lo = anchor.minMu;
    this.hi = anchor.maxMu;
  }

  get full(): boolean {
    return this.count === this.total;
  }

  offer(c: Candidate): boolean {
    if (this.count + c.size > this.total) return false;
    if (Math.max(this.hi, c.maxMu) - Math.min(this.lo, c.minMu) > this.spread) return false;
    // A solo always fits while there is room: the packing so far leaves some team a free place.
    if (c.size > 1 && !packParties([...this.sizes, c.size], this.teams, this.teamSize)) return false;
    this.picked.push(c);
    this.sizes.push(c.size);
    this.count += c.size;
    this.lo = Math.min(this.lo, c.minMu);
    this.hi = Math.max(this.hi, c.maxMu);
    return true;
  }
}
