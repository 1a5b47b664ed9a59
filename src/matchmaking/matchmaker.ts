// The matchmaking service: tickets, matches and results for the HTTP routes, and the matcher loop. Each instance
// runs the loop; per queue, only the holder of the queue's lease matches, so one matcher per queue in the fleet.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventBus, StreamEvent } from '../backends/event-bus.js';
import type { GameConfig } from '../config/index.js';
import { InvalidArgumentError, NotFoundError, RealmError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { PlayerQueries, PlayerStore } from '../players/index.js';
import { findMatches } from './matcher.js';
import { MatchmakingMetrics } from './matchmaking-metrics.js';
import { queueRules, type QueueConfig } from './queue-config.js';
import { rateMatch } from './ratings.js';
import type { TicketPool } from './ticket-pool.js';
import { publicMatch, publicTicket, type MatchRecord, type PlayerRating, type PublicMatch, type PublicTicket, type Ticket, type TicketPlayer } from './ticket.js';

export interface MatchmakerOptions {
  /** Time between two matcher ticks. Default 250 ms. */
  tickMs?: number;
  /** Lifetime of a queue's matcher lease; another instance takes over this long after the holder dies. Default 3000 ms. */
  leaseMs?: number;
  /** A stored result not applied to every rating after this long is applied again by a matcher. Default 10000 ms. */
  resultRetryMs?: number;
  /** This instance's id in the leases. Default: a random UUID. */
  instanceId?: string;
}

export const DEFAULT_MATCHMAKER_OPTIONS: Readonly<Required<Omit<MatchmakerOptions, 'instanceId'>>> = Object.freeze({ tickMs: 250, leaseMs: 3000, resultRetryMs: 10_000 });

export const MATCHED_EVENT_TYPE = 'matchmaking.matched';
const POLL_MS = 100;
const DEFAULT_RATING: PlayerRating = { mu: 25, sigma: 25 / 3 };

/** 409 for a player who already has an open ticket; the body names that ticket. */
export class OpenTicketError extends RealmError {
  readonly ticketId: string;
  constructor(ticketId: string) {
    super('conflict', `a player of this ticket already has the open ticket ${ticketId}`, { ticketId });
    this.ticketId = ticketId;
  }
}

export interface NewTicket {
  queue: string;
  players: TicketPlayer[];
}

export interface QueueSummary {
  name: string;
  searching: number;
  oldestWaitSeconds: number;
  matchesLastMinute: number;
}

/** One queue as an operator looks at it: who is searching (oldest first) and what it matched lately (newest first). */
export interface QueueDetail {
  name: string;
  searching: Array<PublicTicket & { waitSeconds: number }>;
  recentMatches: PublicMatch[];
}

export class Matchmaker {
  readonly instanceId: string;
  private readonly options: Required<Omit<MatchmakerOptions, 'instanceId'>>;
  private readonly metrics: MatchmakingMetrics;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private readonly held = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    readonly pool: TicketPool,
    private readonly config: GameConfig,
    private readonly players: PlayerStore,
    private readonly queries: PlayerQueries,
    private readonly bus: EventBus,
    metrics: Metrics,
    private readonly log: Logger,
    options: MatchmakerOptions = {},
  ) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.options = { ...DEFAULT_MATCHMAKER_OPTIONS, ...options };
    this.metrics = new MatchmakingMetrics(metrics.registry);
  }

  /** The queues of the live config (none when it has no `matchmaking` block). */
  private liveQueues(): readonly QueueConfig[] {
    return (this.config.current.config.matchmaking?.queues ?? []) as readonly QueueConfig[];
  }

  private queueConfig(name: string): QueueConfig | undefined {
    return this.liveQueues().find((q) => q.name === name);
  }

  async createTicket(input: NewTicket): Promise<PublicTicket> {
    const queue = this.queueConfig(input.queue);
    if (!queue) throw new NotFoundError(`queue ${input.queue} not found`);
    if (input.players.length > queue.partyMax) throw new InvalidArgumentError(`queue ${queue.name} takes parties of at most ${queue.partyMax} players`);
    const ids = input.players.map((p) => p.playerId);
    if (new Set(ids).size !== ids.length) throw new InvalidArgumentError('a player appears twice in the ticket');
    for (const p of input.players) {
      if (!queue.regions.some((r) => p.latencies[r] !== undefined)) throw new InvalidArgumentError(`player ${p.playerId} has no latency to any region of queue ${queue.name} (${queue.regions.join(', ')})`);
    }
    const known = await this.queries.getMany(ids);
    const ratings = ids.map((id) => {
      const r = known.players.get(id)?.state.ratings?.[queue.name];
      return r ? { mu: r.mu, sigma: r.sigma } : { mu: queue.rating.mu, sigma: queue.rating.sigma };
    });
    const now = Date.now();
    const ticket: Ticket = {
      ticketId: randomUUID(),
      queue: queue.name,
      players: input.players.map((p) => ({ playerId: p.playerId, latencies: { ...p.latencies } })),
      ratings,
      createdAt: new Date(now).toISOString(),
      createdAtMs: now,
      status: 'searching',
      matchId: null,
    };
    const outcome = await this.pool.create(ticket);
    if (!outcome.ok) throw new OpenTicketError(outcome.openTicketId);
    return publicTicket(ticket, undefined);
  }

  /** The ticket; with `waitSeconds`, as soon as it stops searching or after that long. */
  async getTicket(ticketId: string, waitSeconds = 0): Promise<PublicTicket> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const ticket = await this.pool.get(ticketId);
      if (!ticket) throw new NotFoundError(`ticket ${ticketId} not found`);
      if (ticket.status !== 'searching' || Date.now() + POLL_MS > deadline || this.stopped) {
        return publicTicket(ticket, ticket.matchId ? await this.pool.getMatch(ticket.matchId) : undefined);
      }
      await sleep(POLL_MS);
    }
  }

  async cancelTicket(ticketId: string): Promise<PublicTicket> {
    const ticket = await this.pool.get(ticketId);
    if (!ticket) throw new NotFoundError(`ticket ${ticketId} not found`);
    const [outcome] = await this.pool.close(ticket.queue, [ticketId], 'cancelled');
    if (outcome === 'missing') throw new NotFoundError(`ticket ${ticketId} not found`);
    if (outcome !== 'ok') throw new RealmError('conflict', `ticket ${ticketId} is already ${outcome}`, { status: outcome });
    return publicTicket({ ...ticket, status: 'cancelled' }, undefined);
  }

  async getMatch(matchId: string): Promise<PublicMatch> {
    const match = await this.pool.getMatch(matchId);
    if (!match) throw new NotFoundError(`match ${matchId} not found`);
    return publicMatch(match);
  }

  /** Records the result once and moves every player's rating in the match's queue (a second result is 409). */
  async submitResult(matchId: string, ranks: readonly number[]): Promise<PublicMatch> {
    const match = await this.pool.getMatch(matchId);
    if (!match) throw new NotFoundError(`match ${matchId} not found`);
    if (ranks.length !== match.teams.length) throw new InvalidArgumentError(`ranks must have one entry per team (${match.teams.length})`);
    if (match.result) throw new RealmError('conflict', `match ${matchId} already has a result`);
    const start = this.queueConfig(match.queue)?.rating ?? DEFAULT_RATING;
    const read = await this.queries.getMany(match.teams.flat(), 'strong');
    const before = match.teams.map((team) =>
      team.map((id) => {
        const r = read.players.get(id)?.state.ratings?.[match.queue];
        return r ? { mu: r.mu, sigma: r.sigma } : { mu: start.mu, sigma: start.sigma };
      }),
    );
    const after = rateMatch(before, ranks);
    const updates = match.teams.flatMap((team, i) => team.map((playerId, j) => ({ playerId, ...(after[i]?.[j] as PlayerRating) })));
    const result = { ranks: [...ranks], updates, at: new Date().toISOString() };
    const stored = await this.pool.setResult(matchId, result, Date.now());
    if (stored === 'missing') throw new NotFoundError(`match ${matchId} not found`);
    if (stored === 'conflict') throw new RealmError('conflict', `match ${matchId} already has a result`);
    await this.applyResult({ ...match, result }, false);
    return publicMatch({ ...match, result });
  }

  /** Appends each player's `rating.update`; on a retry, skips players whose rating this match already set. */
  private async applyResult(match: MatchRecord, retry: boolean): Promise<void> {
    const result = match.result;
    if (!result) return;
    let skip = new Set<string>();
    if (retry) {
      const read = await this.queries.getMany(result.updates.map((u) => u.playerId), 'strong');
      skip = new Set(result.updates.filter((u) => read.players.get(u.playerId)?.state.ratings?.[match.queue]?.lastMatchId === match.matchId).map((u) => u.playerId));
    }
    await Promise.all(
      result.updates
        .filter((u) => !skip.has(u.playerId))
        .map((u) => this.players.appendInternal(u.playerId, [{ type: 'rating.update', data: { queue: match.queue, matchId: match.matchId, mu: u.mu, sigma: u.sigma } }])),
    );
    await this.pool.resultApplied(match.matchId);
  }

  async queues(): Promise<QueueSummary[]> {
    const now = Date.now();
    return Promise.all(
      this.liveQueues().map(async (q) => {
        const s = await this.pool.stats(q.name, now);
        return { name: q.name, searching: s.searching, oldestWaitSeconds: s.oldestCreatedAtMs === null ? 0 : Math.max(0, (now - s.oldestCreatedAtMs) / 1000), matchesLastMinute: s.matchesLastMinute };
      }),
    );
  }

  async queueDetail(name: string, limit: number): Promise<QueueDetail> {
    if (!this.queueConfig(name)) throw new NotFoundError(`queue ${name} not found`);
    const now = Date.now();
    const [searching, recent] = await Promise.all([this.pool.searching(name), this.pool.recentMatches(name, limit)]);
    return {
      name,
      searching: searching
        .sort((a, b) => a.createdAtMs - b.createdAtMs)
        .slice(0, limit)
        .map((t) => ({ ...publicTicket(t, undefined), waitSeconds: Math.max(0, (now - t.createdAtMs) / 1000) })),
      recentMatches: recent.map(publicMatch),
    };
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.ticking = this.tick()
        .catch((err: unknown) => this.log.warn({ err }, 'matchmaking tick failed; retrying'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.options.tickMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.all(this.inflight);
    // Let another instance take the queues at once instead of after the lease runs out.
    await Promise.all([...this.held].map((name) => this.pool.releaseLease(name, this.instanceId).catch(() => {})));
  }

  /** One round: for each queue whose lease this instance holds, expire, match, claim; then publish and retry results. */
  async tick(): Promise<void> {
    const queues = this.liveQueues();
    let any = false;
    for (const queue of queues) {
      const name = `matcher:${queue.name}`;
      if (!(await this.pool.lease(name, this.instanceId, this.options.leaseMs))) {
        this.held.delete(name);
        continue;
      }
      if (!this.held.has(name)) this.log.info({ queue: queue.name, instance: this.instanceId }, 'matchmaking: this instance runs the matcher of the queue');
      this.held.add(name);
      any = true;
      await this.matchQueue(queue);
    }
    if (!any) return;
    await this.publishPending(Date.now() - 1000);
    await this.retryResults();
  }

  private async matchQueue(queue: QueueConfig): Promise<void> {
    const endTimer = this.metrics.tickSeconds.startTimer({ queue: queue.name });
    const now = Date.now();
    const all = await this.pool.searching(queue.name);
    const expiredIds = all.filter((t) => now - t.createdAtMs >= queue.maxWaitSeconds * 1000).map((t) => t.ticketId);
    if (expiredIds.length > 0) {
      const closed = await this.pool.close(queue.name, expiredIds, 'expired');
      this.metrics.expired.inc({ queue: queue.name }, closed.filter((c) => c === 'ok').length);
    }
    const expired = new Set(expiredIds);
    const live = all.filter((t) => !expired.has(t.ticketId));
    const proposals = findMatches(live, queueRules(queue), now);
    const byId = new Map(live.map((t) => [t.ticketId, t]));
    const claimed: MatchRecord[] = [];
    for (const match of proposals) {
      const outcome = await this.pool.claim(match, Date.now());
      if (!outcome.ok) continue; // A ticket was cancelled meanwhile, or another matcher took it: the rest wait for the next tick.
      claimed.push({ ...match, seq: outcome.seq, result: null });
      this.metrics.matches.inc({ queue: queue.name });
      for (const id of match.ticketIds) this.metrics.waitSeconds.observe({ queue: queue.name }, (Date.now() - (byId.get(id) as Ticket).createdAtMs) / 1000);
    }
    if (proposals.length > 0 || expiredIds.length > 0) this.log.debug({ queue: queue.name, searching: live.length, proposed: proposals.length, claimed: claimed.length, expired: expiredIds.length }, 'matchmaking tick');
    const left = live.length - proposals.reduce((n, m) => n + m.ticketIds.length, 0);
    this.metrics.searching.set({ queue: queue.name }, left);
    // A set of the claimed tickets: scanning every claimed match for each live ticket took ~0.9 s of CPU per tick with
    // 10,000 searching tickets and 2,000 matches claimed.
    const taken = new Set(claimed.flatMap((m) => m.ticketIds));
    let oldest = Infinity;
    for (const t of live) if (!taken.has(t.ticketId)) oldest = Math.min(oldest, t.createdAtMs);
    this.metrics.oldestWait.set({ queue: queue.name }, Number.isFinite(oldest) ? (Date.now() - oldest) / 1000 : 0);
    endTimer();
    // Not awaited: a slow stream must not hold up matching. What fails stays queued in the pool for the next sweep.
    if (claimed.length > 0) this.track(this.publish(claimed));
  }

  private track(work: Promise<void>): void {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  private async publish(matches: readonly MatchRecord[]): Promise<void> {
    try {
      await this.bus.publish(matches.map(matchedEvent));
      await this.pool.published(matches.map((m) => m.matchId));
    } catch (err) {
      // The matches stay queued in the pool; the next tick publishes them again (the message ids make that safe).
      this.log.warn({ err, matches: matches.length }, 'matches not published yet; retrying');
    }
  }

  private async publishPending(beforeMs: number): Promise<void> {
    const pending = (await this.pool.unpublished(100)).filter((m) => Date.parse(m.createdAt) < beforeMs);
    if (pending.length > 0) await this.publish(pending);
  }

  private async retryResults(): Promise<void> {
    const ids = await this.pool.unappliedResults(Date.now() - this.options.resultRetryMs, 20);
    for (const id of ids) {
      const match = await this.pool.getMatch(id);
      if (!match) continue;
      try {
        await this.applyResult(match, true);
      } catch (err) {
        this.log.warn({ err, matchId: id }, 'match result not yet applied to every rating; retrying');
      }
    }
  }
}

/** A match on the stream: subject `<prefix>.matchmaking.matched`, message id `matchmaking:<queue>:<n>`. */
function matchedEvent(m: MatchRecord): StreamEvent {
  return { playerId: `matchmaking:${m.queue}`, seq: m.seq, type: MATCHED_EVENT_TYPE, data: publicMatch(m), recordedAt: m.createdAt };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
