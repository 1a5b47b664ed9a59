// The in-process ticket pool of embedded mode (one instance). Every method does all its work before its first
// await, so each is atomic exactly as the Redis scripts are.
import type { ClaimOutcome, CloseOutcome, CreateOutcome, QueueStats, ResultOutcome, TicketPool } from './ticket-pool.js';
import { RECENT_MATCHES, RETAIN_MS } from './ticket-pool.js';
import type { Match, MatchRecord, StoredResult, Ticket } from './ticket.js';

interface Lease {
  holder: string;
  until: number;
}

export class MemoryTicketPool implements TicketPool {
  private readonly tickets = new Map<string, Ticket>();
  /** Queue → searching ticket ids, in creation order. */
  private readonly queues = new Map<string, Set<string>>();
  /** Player → its open ticket. */
  private readonly openByPlayer = new Map<string, string>();
  private readonly matches = new Map<string, MatchRecord>();
  private readonly applied = new Set<string>();
  private readonly unapplied = new Map<string, number>();
  private readonly outbox = new Map<string, number>();
  private readonly recent = new Map<string, number[]>();
  /** Queue → its newest match ids, newest last. */
  private readonly recentIds = new Map<string, string[]>();
  private readonly leases = new Map<string, Lease>();
  private readonly counters = new Map<string, number>();
  /** Closed tickets and matches by the time they may be forgotten. */
  private readonly expiries: Array<{ at: number; kind: 'ticket' | 'match'; id: string }> = [];

  constructor(private readonly clock: () => number = Date.now) {}

  async create(ticket: Ticket): Promise<CreateOutcome> {
    this.prune();
    for (const p of ticket.players) {
      const open = this.openByPlayer.get(p.playerId);
      if (open !== undefined) return { ok: false, openTicketId: open };
    }
    const copy = clone(ticket);
    this.tickets.set(ticket.ticketId, copy);
    for (const p of ticket.players) this.openByPlayer.set(p.playerId, ticket.ticketId);
    this.queue(ticket.queue).add(ticket.ticketId);
    return { ok: true };
  }

  async get(ticketId: string): Promise<Ticket | undefined> {
    const t = this.tickets.get(ticketId);
    return t ? clone(t) : undefined;
  }

  async close(queue: string, ticketIds: readonly string[], status: 'cancelled' | 'expired'): Promise<CloseOutcome[]> {
    return ticketIds.map((id) => {
      const t = this.tickets.get(id);
      if (!t || t.queue !== queue) return 'missing';
      if (t.status !== 'searching') return t.status;
      t.status = status;
      this.release(t);
      return 'ok';
    });
  }

  async searching(queue: string): Promise<Ticket[]> {
    return [...this.queue(queue)].map((id) => clone(this.tickets.get(id) as Ticket));
  }

  async claim(match: Match, nowMs: number): Promise<ClaimOutcome> {
    const gone = match.ticketIds.filter((id) => this.tickets.get(id)?.status !== 'searching' || this.tickets.get(id)?.queue !== match.queue);
    if (gone.length > 0) return { ok: false, gone };
    for (const id of match.ticketIds) {
      const t = this.tickets.get(id) as Ticket;
      t.status = 'matched';
      t.matchId = match.matchId;
      this.release(t);
    }
    const seq = (this.counters.get(match.queue) ?? 0) + 1;
    this.counters.set(match.queue, seq);
    this.matches.set(match.matchId, { ...clone(match), seq, result: null });
    this.expiries.push({ at: nowMs + RETAIN_MS, kind: 'match', id: match.matchId });
    this.outbox.set(match.matchId, nowMs);
    const recent = (this.recent.get(match.queue) ?? []).filter((t) => t > nowMs - 60_000);
    recent.push(nowMs);
    this.recent.set(match.queue, recent);
    const ids = this.recentIds.get(match.queue) ?? [];
    ids.push(match.matchId);
    this.recentIds.set(match.queue, ids.slice(-Math.max(RECENT_MATCHES, recent.length)));
    return { ok: true, seq };
  }

  async getMatch(matchId: string): Promise<MatchRecord | undefined> {
    const m = this.matches.get(matchId);
    return m ? clone(m) : undefined;
  }

  async setResult(matchId: string, result: StoredResult, nowMs: number): Promise<ResultOutcome> {
    const m = this.matches.get(matchId);
    if (!m) return 'missing';
    if (m.result) return 'conflict';
    m.result = clone(result);
    this.unapplied.set(matchId, nowMs);
    return 'ok';
  }

  async resultApplied(matchId: string): Promise<void> {
    this.unapplied.delete(matchId);
    this.applied.add(matchId);
  }

  async unappliedResults(beforeMs: number, limit: number): Promise<string[]> {
    return [...this.unapplied].filter(([, at]) => at < beforeMs).slice(0, limit).map(([id]) => id);
  }

  async unpublished(limit: number): Promise<MatchRecord[]> {
    return [...this.outbox.keys()].slice(0, limit).flatMap((id) => {
      const m = this.matches.get(id);
      return m ? [clone(m)] : [];
    });
  }

  async published(matchIds: readonly string[]): Promise<void> {
    for (const id of matchIds) this.outbox.delete(id);
  }

  async stats(queue: string, nowMs: number): Promise<QueueStats> {
    const ids = this.queue(queue);
    const first = ids.values().next();
    const oldest = first.done ? null : (this.tickets.get(first.value) as Ticket).createdAtMs;
    const recent = (this.recent.get(queue) ?? []).filter((t) => t > nowMs - 60_000);
    return { searching: ids.size, oldestCreatedAtMs: oldest, matchesLastMinute: recent.length };
  }

  async recentMatches(queue: string, limit: number): Promise<MatchRecord[]> {
    const ids = [...(this.recentIds.get(queue) ?? [])].reverse();
    return ids.flatMap((id) => {
      const m = this.matches.get(id);
      return m ? [clone(m)] : [];
    }).slice(0, limit);
  }

  async lease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    const l = this.leases.get(name);
    if (l && l.holder !== holder && l.until > now) return false;
    this.leases.set(name, { holder, until: now + ttlMs });
    return true;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }

  describe(): string {
    return 'matchmaking: in-process ticket pool';
  }

  private queue(name: string): Set<string> {
    let q = this.queues.get(name);
    if (!q) {
      q = new Set();
      this.queues.set(name, q);
    }
    return q;
  }

  private release(t: Ticket): void {
    this.queue(t.queue).delete(t.ticketId);
    for (const p of t.players) if (this.openByPlayer.get(p.playerId) === t.ticketId) this.openByPlayer.delete(p.playerId);
    this.expiries.push({ at: this.clock() + RETAIN_MS, kind: 'ticket', id: t.ticketId });
  }

  private prune(): void {
    const now = this.clock();
    while (this.expiries.length > 0 && (this.expiries[0] as { at: number }).at <= now) {
      const e = this.expiries.shift() as { kind: 'ticket' | 'match'; id: string };
      if (e.kind === 'ticket') this.tickets.delete(e.id);
      else {
        this.matches.delete(e.id);
        this.applied.delete(e.id);
      }
    }
  }
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
