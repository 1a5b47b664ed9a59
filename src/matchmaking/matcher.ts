// The matcher as pure functions: given the searching tickets of one queue and the time, which matches to make.
// Anchors are taken oldest first; around each, candidates in rating order (nearest mu first) within one region,
// under the skill window and latency cap in force for the anchor's wait; parties are placed first, then teams are
// balanced by rating (greedy, then swaps). The pool's atomic claim is what makes a proposal real.
import { randomUUID } from 'node:crypto';
import { stepValue, type QueueRules } from './queue-config.js';
import { drawProbability } from './ratings.js';
import type { Match, PlayerRating, Ticket } from './ticket.js';

/**
 * The searching tickets of one tick as parallel arrays indexed by the ticket's place in the input: ratings, sizes and
 * the worst latency of each ticket to each of the queue's regions. One tick over 10,000 tickets used to build an
 * object and a Map per ticket, and the garbage collector spent a fifth of the tick on them.
 */
class Pool {
  readonly count: number;
  readonly regionCount: number;
  readonly size: Int32Array;
  readonly minMu: Float64Array;
  readonly maxMu: Float64Array;
  readonly meanMu: Float64Array;
  /** Sum of the players' mu, in player order (what team balancing adds up). */
  readonly sumMu: Float64Array;
  /**
   * Largest latency of the ticket's players to region r of the queue at [i * regionCount + r]; Infinity when some
   * player reported none (queue caps are finite, so such a ticket is never within one).
   */
  readonly latency: Float64Array;
  /** 1 once taken by a match proposed in this round. */
  readonly used: Uint8Array;

  constructor(readonly tickets: readonly Ticket[], regions: readonly string[]) {
    const n = tickets.length;
    this.count = n;
    this.regionCount = regions.length;
    this.size = new Int32Array(n);
    this.minMu = new Float64Array(n);
    this.maxMu = new Float64Array(n);
    this.meanMu = new Float64Array(n);
    this.sumMu = new Float64Array(n);
    this.latency = new Float64Array(n * regions.length).fill(Infinity);
    this.used = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const ticket = tickets[i] as Ticket;
      let minMu = Infinity;
      let maxMu = -Infinity;
      let sum = 0;
      for (const r of ticket.ratings) {
        minMu = Math.min(minMu, r.mu);
        maxMu = Math.max(maxMu, r.mu);
        sum += r.mu;
      }
      this.size[i] = ticket.players.length;
      this.minMu[i] = minMu;
      this.maxMu[i] = maxMu;
      this.sumMu[i] = sum;
      this.meanMu[i] = sum / Math.max(1, ticket.ratings.length);
      const first = ticket.players[0];
      if (!first) continue;
      // A region counts when the first player reported it and every player has a latency there.
      for (let r = 0; r < regions.length; r++) {
        const region = regions[r] as string;
        if (!Object.hasOwn(first.latencies, region)) continue;
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
        if (all) this.latency[i * regions.length + r] = worst;
      }
    }
  }

  latencyOf(i: number, region: number): number {
    return this.latency[i * this.regionCount + region] as number;
  }
}

/**
 * The tickets that can play in one region under one latency cap, by mean rating, with skip pointers past the
 * tickets already taken (path-compressed), so an anchor's scan does not walk over them again and again.
 */
class RatingList {
  /** Ticket indices by mean rating. */
  readonly order: Int32Array;
  readonly length: number;
  private readonly up: Int32Array;
  private readonly down: Int32Array;

  /** `byRating`: every ticket index by mean rating; `at`: filled with each member's position here (others untouched). */
  constructor(private readonly pool: Pool, byRating: Int32Array, region: number, cap: number, readonly at: Int32Array) {
    const order = new Int32Array(byRating.length);
    let length = 0;
    for (let k = 0; k < byRating.length; k++) {
      const i = byRating[k] as number;
      if (pool.latencyOf(i, region) <= cap) {
        at[i] = length;
        order[length++] = i;
      }
    }
    this.order = order.subarray(0, length);
    this.length = length;
    this.up = new Int32Array(length);
    this.down = new Int32Array(length);
    for (let k = 0; k < length; k++) {
      this.up[k] = k;
      this.down[k] = k;
    }
  }

  private taken(position: number): boolean {
    return this.pool.used[this.order[position] as number] === 1;
  }

  /** The first free position at or above i (length if none). */
  freeUp(i: number): number {
    const up = this.up;
    let j = i;
    while (j < this.length && this.taken(j)) j = (up[j] as number) > j ? (up[j] as number) : j + 1;
    for (let k = i; k < j; ) {
      const next = (up[k] as number) > k ? (up[k] as number) : k + 1;
      up[k] = j;
      k = next;
    }
    return j;
  }

  /** The first free position at or below i (-1 if none). */
  freeDown(i: number): number {
    const down = this.down;
    let j = i;
    while (j >= 0 && this.taken(j)) j = (down[j] as number) < j ? (down[j] as number) : j - 1;
    for (let k = i; k > j; ) {
      const next = (down[k] as number) < k ? (down[k] as number) : k - 1;
      down[k] = j;
      k = next;
    }
    return j;
  }
}

export interface MatcherOptions {
  /** Most candidates looked at around one anchor in one region; bounds the work of a tick. Default 4000. */
  maxScan?: number;
  /** Match ids (tests, benchmarks with a seeded random). Default randomUUID. */
  newId?: () => string;
  /** Whether to compute the predicted draw (costs an openskill call per match). Default true. */
  predictDraw?: boolean;
}

/** First-fit decreasing of party sizes into `teams` teams of `teamSize`; the team of each size's index, or null. */
export function packParties(sizes: readonly number[], teams: number, teamSize: number): number[] | null {
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

/** What team balancing knows of a ticket: its players and the sum of their mu. */
interface Unit<T> {
  t: T;
  size: number;
  sum: number;
}

/** Largest minus smallest team sum. */
function sumGap(sums: readonly number[]): number {
  let max = -Infinity;
  let min = Infinity;
  for (const s of sums) {
    if (s > max) max = s;
    if (s < min) min = s;
  }
  return max - min;
}

/**
 * Splits tickets (parties whole) into teams of equal size with rating sums as close as possible: parties first,
 * largest and strongest to the weakest team with room, then solos the same way, then swaps of equal-sized
 * tickets between teams while a swap narrows the gap between the strongest and weakest team.
 */
export function balanceTeams(tickets: readonly Ticket[], teams: number, teamSize: number): Ticket[][] | null {
  return balanceUnits(tickets.map((t) => ({ t, size: t.players.length, sum: t.ratings.reduce((s, r) => s + r.mu, 0) })), teams, teamSize);
}

/** balanceTeams over units (sorts `units` in place). */
function balanceUnits<T>(units: Array<Unit<T>>, teams: number, teamSize: number): T[][] | null {
  let players = 0;
  for (const u of units) players += u.size;
  if (players !== teams * teamSize) return null;
  units.sort((a, b) => b.size - a.size || b.sum / b.size - a.sum / a.size);
  const members: Array<Array<Unit<T>>> = Array.from({ length: teams }, () => []);
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
      const out: T[][] = Array.from({ length: teams }, () => []);
      units.forEach((x, i) => (out[packing[i] as number] as T[]).push(x.t));
      return out;
    }
    (members[best] as Array<Unit<T>>).push(u);
    room[best] = (room[best] as number) - u.size;
    sums[best] = (sums[best] as number) + u.sum;
  }
  for (let pass = 0; pass < 4; pass++) {
    let improved = false;
    for (let a = 0; a < teams; a++) {
      for (let b = a + 1; b < teams; b++) {
        const ma = members[a] as Array<Unit<T>>;
        const mb = members[b] as Array<Unit<T>>;
        for (let i = 0; i < ma.length; i++) {
          for (let j = 0; j < mb.length; j++) {
            const ua = ma[i] as Unit<T>;
            const ub = mb[j] as Unit<T>;
            if (ua.size !== ub.size || ua.sum === ub.sum) continue;
            const before = sumGap(sums);
            sums[a] = (sums[a] as number) - ua.sum + ub.sum;
            sums[b] = (sums[b] as number) - ub.sum + ua.sum;
            if (sumGap(sums) < before - 1e-9) {
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
export function matchQuality(teams: readonly Ticket[][], region: string, predict = true): Match['quality'] {
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
 * matchQuality from the pool's arrays: every ticket of a match has a latency in its region, so the worst player's
 * latency is the worst ticket's, and the spread is the largest max minus the smallest min.
 */
function poolMatchQuality(pool: Pool, teams: readonly number[][], region: number, predict: boolean): Match['quality'] {
  let min = Infinity;
  let max = -Infinity;
  let latency = 0;
  for (const team of teams) {
    for (const i of team) {
      min = Math.min(min, pool.minMu[i] as number);
      max = Math.max(max, pool.maxMu[i] as number);
      latency = Math.max(latency, pool.latencyOf(i, region));
    }
  }
  let predictedDraw = 0;
  if (predict) {
    const ratingTeams: PlayerRating[][] = [];
    for (const team of teams) {
      const ratings: PlayerRating[] = [];
      for (const i of team) for (const r of (pool.tickets[i] as Ticket).ratings) ratings.push(r);
      ratingTeams.push(ratings);
    }
    predictedDraw = drawProbability(ratingTeams);
  }
  return { ratingSpread: max - min, maxLatencyMs: latency, predictedDraw };
}

/**
 * Ticket indices 0..n-1 ordered by `key` ascending; equal keys by `tie` when given, else in index order (what a stable
 * sort of the tickets gives). A bottom-up merge sort on typed arrays: about a third of the time of Array#sort with a
 * comparator over 10,000 tickets, which a tick does twice.
 */
function sortedIndices(key: Float64Array, tie?: (a: number, b: number) => number): Int32Array {
  const n = key.length;
  let src = new Int32Array(n);
  let dst = new Int32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let a = lo;
      let b = mid;
      let o = lo;
      while (a < mid && b < hi) {
        const ia = src[a] as number;
        const ib = src[b] as number;
        const ka = key[ia] as number;
        const kb = key[ib] as number;
        // Take from the right run only when strictly before: equal keys keep their order.
        if (kb < ka || (kb === ka && tie !== undefined && tie(ib, ia) < 0)) {
          dst[o++] = ib;
          b++;
        } else {
          dst[o++] = ia;
          a++;
        }
      }
      while (a < mid) dst[o++] = src[a++] as number;
      while (b < hi) dst[o++] = src[b++] as number;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  return src;
}

/**
 * The matches to propose now, oldest anchor first; a ticket appears in at most one of them. Expired tickets must
 * be taken out before (the service expires them first).
 */
export function findMatches(tickets: readonly Ticket[], rules: QueueRules, nowMs: number, options: MatcherOptions = {}): Match[] {
  const { queue } = rules;
  const total = queue.teams * queue.teamSize;
  const maxScan = options.maxScan ?? 4000;
  const newId = options.newId ?? randomUUID;
  const predict = options.predictDraw ?? true;
  const regions = queue.regions;
  const pool = new Pool(tickets, regions);
  const n = pool.count;
  const createdAtMs = new Float64Array(n);
  for (let i = 0; i < n; i++) createdAtMs[i] = (tickets[i] as Ticket).createdAtMs;
  // Oldest first; tickets created in the same millisecond by id.
  const byAge = sortedIndices(createdAtMs, (a, b) => ((tickets[a] as Ticket).ticketId < (tickets[b] as Ticket).ticketId ? -1 : 1));
  // Per region and latency cap of the queue: the tickets within that cap there, by mean rating.
  const caps = [...new Set(rules.latency.map((s) => s.value))];
  const byRating = sortedIndices(pool.meanMu);
  const lists: RatingList[] = [];
  for (let r = 0; r < regions.length; r++) {
    for (const cap of caps) lists.push(new RatingList(pool, byRating, r, cap, new Int32Array(n)));
  }
  const listOf = (region: number, cap: number) => lists[region * caps.length + caps.indexOf(cap)] as RatingList;
  const createdAt = new Date(nowMs).toISOString();
  const out: Match[] = [];
  const anchorRegions: number[] = [];
  for (let k = 0; k < n; k++) {
    const anchor = byAge[k] as number;
    if (pool.used[anchor]) continue;
    const ticket = tickets[anchor] as Ticket;
    const wait = (nowMs - ticket.createdAtMs) / 1000;
    const spread = stepValue(rules.skill, wait);
    const cap = stepValue(rules.latency, wait);
    // The anchor's regions within the cap, lowest latency first (ties in the queue's order).
    anchorRegions.length = 0;
    for (let r = 0; r < regions.length; r++) {
      const ms = pool.latencyOf(anchor, r);
      if (!(ms <= cap)) continue;
      let at = anchorRegions.length;
      while (at > 0 && pool.latencyOf(anchor, anchorRegions[at - 1] as number) > ms) at--;
      anchorRegions.splice(at, 0, r);
    }
    for (const region of anchorRegions) {
      const picked = pick(pool, anchor, listOf(region, cap), spread, total, queue.teams, queue.teamSize, maxScan);
      if (!picked) continue;
      const teams = balanceUnits(picked.map((i) => ({ t: i, size: pool.size[i] as number, sum: pool.sumMu[i] as number })), queue.teams, queue.teamSize);
      if (!teams) continue;
      for (const i of picked) pool.used[i] = 1;
      const playerTeams: string[][] = [];
      for (const team of teams) {
        const ids: string[] = [];
        for (const i of team) for (const p of (tickets[i] as Ticket).players) ids.push(p.playerId);
        playerTeams.push(ids);
      }
      out.push({
        matchId: newId(),
        queue: queue.name,
        region: regions[region] as string,
        teams: playerTeams,
        createdAt,
        quality: poolMatchQuality(pool, teams, region, predict),
        ticketIds: picked.map((i) => (tickets[i] as Ticket).ticketId),
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
function pick(pool: Pool, anchor: number, index: RatingList, spread: number, total: number, teams: number, teamSize: number, maxScan: number): number[] | null {
  if ((pool.maxMu[anchor] as number) - (pool.minMu[anchor] as number) > spread) return null;
  const { order, length } = index;
  const { meanMu } = pool;
  const anchorMu = meanMu[anchor] as number;
  const at = index.at[anchor] as number;
  const seen: number[] = [];
  let down = at - 1;
  let up = at + 1;
  const greedy = new Selection(pool, anchor, spread, total, teams, teamSize);
  let party = false;
  for (let scanned = 0; !greedy.full && scanned < maxScan; scanned++) {
    if (down >= 0) down = index.freeDown(down);
    if (up < length) up = index.freeUp(up);
    const below = down >= 0 ? (order[down] as number) : -1;
    const above = up < length ? (order[up] as number) : -1;
    const belowOk = below >= 0 && anchorMu - (meanMu[below] as number) <= spread;
    const aboveOk = above >= 0 && (meanMu[above] as number) - anchorMu <= spread;
    let c: number;
    if (belowOk && (!aboveOk || anchorMu - (meanMu[below] as number) <= (meanMu[above] as number) - anchorMu)) {
      c = below;
      down--;
    } else if (aboveOk) {
      c = above;
      up++;
    } else break;
    seen.push(c);
    if ((pool.size[c] as number) > 1) party = true;
    greedy.offer(c);
  }
  if (greedy.full) return greedy.picked;
  if (!party) return null;
  const partiesFirst = new Selection(pool, anchor, spread, total, teams, teamSize);
  const byParty = seen.map((c, i) => ({ c, i })).sort((a, b) => (pool.size[b.c] as number) - (pool.size[a.c] as number) || a.i - b.i);
  for (const { c } of byParty) {
    if (partiesFirst.full) break;
    partiesFirst.offer(c);
  }
  return partiesFirst.full ? partiesFirst.picked : null;
}

/** Tickets chosen for one match so far, with the checks each newcomer must pass. */
class Selection {
  readonly picked: number[];
  private readonly sizes: number[];
  private count: number;
  private lo: number;
  private hi: number;

  constructor(private readonly pool: Pool, anchor: number, private readonly spread: number, private readonly total: number, private readonly teams: number, private readonly teamSize: number) {
    this.picked = [anchor];
    this.sizes = [pool.size[anchor] as number];
    this.count = pool.size[anchor] as number;
    this.lo = pool.minMu[anchor] as number;
    this.hi = pool.maxMu[anchor] as number;
  }

  get full(): boolean {
    return this.count === this.total;
  }

  offer(c: number): boolean {
    const size = this.pool.size[c] as number;
    const minMu = this.pool.minMu[c] as number;
    const maxMu = this.pool.maxMu[c] as number;
    if (this.count + size > this.total) return false;
    if (Math.max(this.hi, maxMu) - Math.min(this.lo, minMu) > this.spread) return false;
    // A solo always fits while there is room: the packing so far leaves some team a free place.
    if (size > 1 && !packParties([...this.sizes, size], this.teams, this.teamSize)) return false;
    this.picked.push(c);
    this.sizes.push(size);
    this.count += size;
    this.lo = Math.min(this.lo, minMu);
    this.hi = Math.max(this.hi, maxMu);
    return true;
  }
}

/** Why a match breaks the queue's rules (empty: it keeps them). The tests hold every match made to this. */
export function ruleViolations(match: Pick<Match, 'region' | 'teams' | 'createdAt'>, tickets: readonly Ticket[], rules: QueueRules): string[] {
  const { queue } = rules;
  const problems: string[] = [];
  if (match.teams.length !== queue.teams) problems.push(`${match.teams.length} teams, not ${queue.teams}`);
  match.teams.forEach((t, i) => t.length !== queue.teamSize && problems.push(`team ${i} has ${t.length} players, not ${queue.teamSize}`));
  const teamOf = new Map<string, number>();
  match.teams.forEach((t, i) => t.forEach((p) => teamOf.set(p, i)));
  const oldest = Math.min(...tickets.map((t) => t.createdAtMs));
  const wait = (Date.parse(match.createdAt) - oldest) / 1000;
  const spread = stepValue(rules.skill, wait);
  const cap = stepValue(rules.latency, wait);
  const mus = tickets.flatMap((t) => t.ratings.map((r) => r.mu));
  if (Math.max(...mus) - Math.min(...mus) > spread + 1e-9) problems.push(`rating spread ${Math.max(...mus) - Math.min(...mus)} over ${spread}`);
  for (const t of tickets) {
    const teamsOfParty = new Set(t.players.map((p) => teamOf.get(p.playerId)));
    if (teamsOfParty.size !== 1 || teamsOfParty.has(undefined)) problems.push(`ticket ${t.ticketId} split or missing`);
    for (const p of t.players) {
      const ms = p.latencies[match.region];
      if (ms === undefined || ms > cap) problems.push(`player ${p.playerId} latency ${ms} over ${cap}`);
    }
  }
  const players = tickets.reduce((n, t) => n + t.players.length, 0);
  if (players !== teamOf.size) problems.push(`${players} ticket players for ${teamOf.size} match players`);
  return problems;
}
