// Tickets and matches as the pool stores them, and their public shapes (API.md "Matchmaking").

export type TicketStatus = 'searching' | 'matched' | 'cancelled' | 'expired';

export interface TicketPlayer {
  playerId: string;
  /** Round-trip time in ms to each region the player reported. */
  latencies: Record<string, number>;
}

/** A player's rating in one queue, read when the ticket was made. */
export interface PlayerRating {
  mu: number;
  sigma: number;
}

/** What the pool keeps of a ticket; everything but `status` and `matchId` is fixed at creation. */
export interface Ticket {
  ticketId: string;
  queue: string;
  players: TicketPlayer[];
  /** Same order as `players`. */
  ratings: PlayerRating[];
  createdAt: string;
  createdAtMs: number;
  status: TicketStatus;
  matchId: string | null;
}

export interface MatchQuality {
  ratingSpread: number;
  maxLatencyMs: number;
  predictedDraw: number;
}

export interface MatchResult {
  ranks: number[];
}

/** The new rating of each player once a result is in; computed once, so applying it again sets the same values. */
export interface RatingUpdate {
  playerId: string;
  mu: number;
  sigma: number;
}

export interface Match {
  matchId: string;
  queue: string;
  region: string;
  teams: string[][];
  createdAt: string;
  quality: MatchQuality;
  /** The tickets the match took (not part of the public shape). */
  ticketIds: string[];
}

export interface StoredResult extends MatchResult {
  updates: RatingUpdate[];
  at: string;
}

/** A match with its result, as the pool returns it. */
export interface MatchRecord extends Match {
  /** The match's number in its queue (1, 2, …): its seq on the stream. */
  seq: number;
  result: StoredResult | null;
}

export interface PublicMatch {
  matchId: string;
  queue: string;
  region: string;
  teams: string[][];
  createdAt: string;
  quality: MatchQuality;
  result: MatchResult | null;
}

export interface PublicTicket {
  ticketId: string;
  queue: string;
  status: TicketStatus;
  players: TicketPlayer[];
  createdAt: string;
  match: PublicMatch | null;
}

export function publicMatch(m: MatchRecord): PublicMatch {
  return { matchId: m.matchId, queue: m.queue, region: m.region, teams: m.teams, createdAt: m.createdAt, quality: m.quality, result: m.result ? { ranks: m.result.ranks } : null };
}

export function publicTicket(t: Ticket, match: MatchRecord | undefined): PublicTicket {
  return { ticketId: t.ticketId, queue: t.queue, status: t.status, players: t.players, createdAt: t.createdAt, match: match ? publicMatch(match) : null };
}
