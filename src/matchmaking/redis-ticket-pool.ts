// The ticket pool on Redis: every change is one Lua script (atomic on the server), so two instances, or two matchers
// racing after a lease change, never put a ticket in two matches, and a cancel racing a match has one winner.
// Every key shares the hash tag `{mm}`: a script may touch tickets of any player, and on a cluster they must share a slot.
import type { RedisClient } from '../backends/redis/redis-client.js';
import { defineScripts } from '../backends/redis/lua-scripts.js';
import { UnavailableError } from '../errors.js';
import type { ClaimOutcome, CloseOutcome, CreateOutcome, QueueStats, ResultOutcome, TicketPool } from './ticket-pool.js';
import { RECENT_MATCHES, RETAIN_MS } from './ticket-pool.js';
import type { Match, MatchRecord, StoredResult, Ticket } from './ticket.js';

export interface RedisTicketPoolOptions {
  /** Prefix of every key (REDIS_KEY_PREFIX). Default ''. */
  keyPrefix?: string;
  /** Label for the start-up line. */
  label?: string;
}

type Fields = Pick<Ticket, 'status' | 'matchId'>;

export class RedisTicketPool implements TicketPool {
  private readonly run: ReturnType<typeof defineScripts>;
  private readonly base: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RedisTicketPoolOptions = {},
  ) {
    this.run = defineScripts(redis);
    this.base = `${options.keyPrefix ?? ''}mm:{mm}:`;
  }

  /** Runs Redis calls; a Redis that does not answer becomes UnavailableError (503), nothing half-done (each change is one script). */
  private async io<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = err as { name?: string; message?: string };
      if (e.name === 'ReplyError' && !/^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)/.test(e.message ?? '')) throw err;
      throw new UnavailableError(`matchmaking: Redis is unavailable: ${e.message ?? String(err)}`, { cause: err });
    }
  }

  private key(...parts: string[]): string {
    return this.base + parts.join(':');
  }

  private queueKeys(queue: string): [string, string, string] {
    return [this.key('players'), this.key('q', queue), this.key('qt', queue)];
  }

  async create(ticket: Ticket): Promise<CreateOutcome> {
    return this.io(async () => {
      const json = JSON.stringify(storedTicket(ticket));
      const players = ticket.players.map((p) => p.playerId).join(' ');
      const reply = (await this.run('mm-create', ...this.queueKeys(ticket.queue), this.key('t', ''), ticket.ticketId, ticket.createdAtMs, json, ticket.queue, players)) as [number, string?];
      return reply[0] === 1 ? { ok: true } : { ok: false, openTicketId: reply[1] as string };
    });
  }

  async get(ticketId: string): Promise<Ticket | undefined> {
    return this.io(async () => {
      const [json = null, status = null, matchId = null] = await this.redis.hmget(this.key('t', ticketId), 'json', 'status', 'matchId');
      if (json === null || status === null) return undefined;
      return revive(json, { status: status as Ticket['status'], matchId: matchId ?? null });
    });
  }

  async close(queue: string, ticketIds: readonly string[], status: 'cancelled' | 'expired'): Promise<CloseOutcome[]> {
    return this.io(async () => {
      if (ticketIds.length === 0) return [];
      return (await this.run('mm-close', ...this.queueKeys(queue), this.key('t', ''), status, RETAIN_MS, queue, ...ticketIds)) as CloseOutcome[];
    });
  }

  async searching(queue: string): Promise<Ticket[]> {
    return this.io(async () => {
      const all = await this.redis.hgetall(this.key('qt', queue));
      return Object.values(all).map((json) => revive(json, { status: 'searching', matchId: null }));
    });
  }

  async claim(match: Match, nowMs: number): Promise<ClaimOutcome> {
    return this.io(async () => {
      const keys = [...this.queueKeys(match.queue), this.key('outbox'), this.key('recent', match.queue), this.key('m', match.matchId), this.key('seq', match.queue)];
      const reply = (await this.run('mm-claim', ...keys, this.key('t', ''), match.matchId, JSON.stringify(match), nowMs, RETAIN_MS, match.queue, RECENT_MATCHES, ...match.ticketIds)) as [number, ...string[]];
      return reply[0] === 1 ? { ok: true, seq: Number(reply[1]) } : { ok: false, gone: reply.slice(1) as string[] };
    });
  }

  async getMatch(matchId: string): Promise<MatchRecord | undefined> {
    return this.io(async () => {
      const [json = null, seq = null, result = null] = await this.redis.hmget(this.key('m', matchId), 'json', 'seq', 'result');
      if (json === null) return undefined;
      return { ...(JSON.parse(json) as Match), seq: Number(seq), result: result === null ? null : (JSON.parse(result) as StoredResult) };
    });
  }

  async setResult(matchId: string, result: StoredResult, nowMs: number): Promise<ResultOutcome> {
    return this.io(async () => {
      const reply = (await this.run('mm-result', this.key('m', matchId), this.key('unapplied'), matchId, JSON.stringify(result), nowMs)) as number;
      return reply === 1 ? 'ok' : reply === 0 ? 'conflict' : 'missing';
    });
  }

  async resultApplied(matchId: string): Promise<void> {
    return this.io(async () => {
      await this.redis.zrem(this.key('unapplied'), matchId);
    });
  }

  async unappliedResults(beforeMs: number, limit: number): Promise<string[]> {
    return this.io(async () => {
      return this.redis.zrangebyscore(this.key('unapplied'), '-inf', `(${beforeMs}`, 'LIMIT', 0, limit);
    });
  }

  async unpublished(limit: number): Promise<MatchRecord[]> {
    return this.io(async () => {
      const ids = await this.redis.zrange(this.key('outbox'), 0, limit - 1);
      const matches = await Promise.all(ids.map((id) => this.getMatch(id)));
      const lost = ids.filter((_, i) => matches[i] === undefined);
      // A match whose record expired can never be published: drop it from the queue rather than retry forever.
      if (lost.length > 0) await this.redis.zrem(this.key('outbox'), ...lost);
      return matches.filter((m): m is MatchRecord => m !== undefined);
    });
  }

  async published(matchIds: readonly string[]): Promise<void> {
    return this.io(async () => {
      if (matchIds.length > 0) await this.redis.zrem(this.key('outbox'), ...matchIds);
    });
  }

  async stats(queue: string, nowMs: number): Promise<QueueStats> {
    return this.io(async () => {
      const [searching, oldest, recent] = await Promise.all([
        this.redis.zcard(this.key('q', queue)),
        this.redis.zrange(this.key('q', queue), 0, 0, 'WITHSCORES'),
        this.redis.zcount(this.key('recent', queue), `(${nowMs - 60_000}`, '+inf'),
      ]);
      return { searching, oldestCreatedAtMs: oldest[1] === undefined ? null : Number(oldest[1]), matchesLastMinute: recent };
    });
  }

  async recentMatches(queue: string, limit: number): Promise<MatchRecord[]> {
    return this.io(async () => {
      const ids = await this.redis.zrevrange(this.key('recent', queue), 0, limit - 1);
      const matches = await Promise.all(ids.map((id) => this.getMatch(id)));
      return matches.filter((m): m is MatchRecord => m !== undefined);
    });
  }

  async lease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.io(async () => {
      return ((await this.run('mm-lease', this.key('lease', name), holder, ttlMs)) as number) === 1;
    });
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    return this.io(async () => {
      await this.run('unlock', this.key('lease', name), holder);
    });
  }

  describe(): string {
    return `matchmaking: Redis ticket pool${this.options.label ? ` (${this.options.label})` : ''}`;
  }
}

/** The fixed part of a ticket; status and match id live in their own hash fields, changed by the scripts. */
function storedTicket(t: Ticket): Omit<Ticket, 'status' | 'matchId'> {
  return { ticketId: t.ticketId, queue: t.queue, players: t.players, ratings: t.ratings, createdAt: t.createdAt, createdAtMs: t.createdAtMs };
}

function revive(json: string, fields: Fields): Ticket {
  return { ...(JSON.parse(json) as Omit<Ticket, 'status' | 'matchId'>), ...fields };
}
