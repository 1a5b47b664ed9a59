// The ticket pool port: where tickets and matches live, shared by every instance. Adapters: Redis (its changes are
// Lua scripts, each atomic) and in-process (embedded mode, one instance). One contract suite runs against both.
import type { Match, MatchRecord, StoredResult, Ticket, TicketStatus } from './ticket.js';

export type CreateOutcome = { ok: true } | { ok: false; openTicketId: string };

/** Per ticket: `ok` (it was searching and is now closed), its status when it was no longer searching, or `missing`. */
export type CloseOutcome = 'ok' | Exclude<TicketStatus, 'searching'> | 'missing';

/** `ok`, or the ids of the match's tickets that were not searching any more (nothing was changed). */
export type ClaimOutcome = { ok: true; seq: number } | { ok: false; gone: string[] };

export type ResultOutcome = 'ok' | 'missing' | 'conflict';

export interface QueueStats {
  searching: number;
  /** Creation time (ms) of the oldest searching ticket, null when none. */
  oldestCreatedAtMs: number | null;
  matchesLastMinute: number;
}

export interface TicketPool {
  /** Adds a searching ticket unless one of its players has an open ticket (then nothing is written). */
  create(ticket: Ticket): Promise<CreateOutcome>;
  get(ticketId: string): Promise<Ticket | undefined>;
  /** Closes searching tickets of `queue` as cancelled or expired; tickets no longer searching are left as they are. */
  close(queue: string, ticketIds: readonly string[], status: 'cancelled' | 'expired'): Promise<CloseOutcome[]>;
  /** Every searching ticket of a queue. */
  searching(queue: string): Promise<Ticket[]>;
  /**
   * Atomically: if every ticket of the match is still searching, marks them matched, frees their players, stores the
   * match and queues it for publication; otherwise changes nothing.
   */
  claim(match: Match, nowMs: number): Promise<ClaimOutcome>;
  getMatch(matchId: string): Promise<MatchRecord | undefined>;
  /** Stores the result once: a second result of the same match is `conflict`. */
  setResult(matchId: string, result: StoredResult, nowMs: number): Promise<ResultOutcome>;
  /** Marks a stored result as applied to every player's rating. */
  resultApplied(matchId: string): Promise<void>;
  /** Matches whose result was stored before `beforeMs` and not yet marked applied. */
  unappliedResults(beforeMs: number, limit: number): Promise<string[]>;
  /** Matches claimed and not yet acknowledged as published, oldest first. */
  unpublished(limit: number): Promise<MatchRecord[]>;
  published(matchIds: readonly string[]): Promise<void>;
  stats(queue: string, nowMs: number): Promise<QueueStats>;
  /** The newest matches of a queue, newest first: at least the last `RECENT_MATCHES` kept, and every one of the last minute. */
  recentMatches(queue: string, limit: number): Promise<MatchRecord[]>;
  /** Takes or renews the lease `name` for `holder`; false while someone else holds it. */
  lease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  describe(): string;
}

/** How many of a queue's newest matches stay listed (for the console) once older than a minute. */
export const RECENT_MATCHES = 20;

/** How long closed tickets and matches stay readable. */
export const RETAIN_MS = 24 * 3600 * 1000;
