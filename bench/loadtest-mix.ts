// What the players of the load generator do: an MMO day's mix of actions turned into Realmstate requests.
// Player events (kills, loot, moves, level-ups; the first one creates the player and sets its region), score
// submissions at the end of matches, and reads (a profile, the top 10, a player's rank). Pure: no I/O here; each
// plan carries the typed client's call that sends it.
import type { CallOptions, RealmstateClient } from '../src/client/index.js';
import type { Operations } from '../src/client/operations.js';

type AppendedEvents = Operations['appendEvents']['body']['events'];

export type RequestKind = 'event' | 'score' | 'read-player' | 'read-top' | 'read-rank';
export const REQUEST_KINDS: readonly RequestKind[] = ['event', 'score', 'read-player', 'read-top', 'read-rank'];

export interface PlannedRequest {
  kind: RequestKind;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** The player the request is about (for bookkeeping once it succeeds). */
  player?: number;
  /** Sends it with the typed client: resolves with the answer, throws its typed error. */
  send: (client: RealmstateClient, options?: CallOptions) => Promise<unknown>;
}

export interface MixOptions {
  /** Share of actions that are score submissions, 0..1. */
  scores: number;
  /** Share of actions that are reads, 0..1 (scores + reads ≤ 1; the rest are player events). */
  reads: number;
  /** The board scores go to. */
  board: string;
  /** The board's regions (null: a board without regions). */
  regions: readonly string[] | null;
  durability: 'sync' | 'batched';
  /** Prefix of player ids, so runs against one server do not share players. */
  playerPrefix: string;
}

const ITEMS = ['potion', 'ore', 'hide', 'rune', 'gem'];
const DEFAULT_REGIONS = ['eu', 'na', 'asia', 'sa'];

/** What the generator knows of each player from the replies so far (one byte per player). */
export class PlayerBook {
  private readonly flags: Uint8Array;
  /** Players known to exist / to have a score, in the order they appeared (for uniform picks among them). */
  private readonly created: number[] = [];
  private readonly scored: number[] = [];

  constructor(readonly size: number) {
    this.flags = new Uint8Array(size);
  }

  isCreated(p: number): boolean {
    return ((this.flags[p] as number) & 1) !== 0;
  }

  markCreated(p: number): void {
    if (this.isCreated(p)) return;
    this.flags[p] = (this.flags[p] as number) | 1;
    this.created.push(p);
  }

  markScored(p: number): void {
    if (((this.flags[p] as number) & 2) !== 0) return;
    this.flags[p] = (this.flags[p] as number) | 2;
    this.scored.push(p);
  }

  /** A player known to exist, or undefined when none is yet. */
  anyCreated(random: () => number): number | undefined {
    return this.created.length ? this.created[Math.floor(random() * this.created.length)] : undefined;
  }

  anyScored(random: () => number): number | undefined {
    return this.scored.length ? this.scored[Math.floor(random() * this.scored.length)] : undefined;
  }

  get createdCount(): number {
    return this.created.length;
  }
}

export function playerRegion(p: number, regions: readonly string[] | null): string {
  const list = regions ?? DEFAULT_REGIONS;
  return list[p % list.length] as string;
}

/** The request for one action of player `p` (one of the online players), drawn from the mix. */
export function planAction(p: number, book: PlayerBook, options: MixOptions, random: () => number): PlannedRequest {
  const id = (q: number) => `${options.playerPrefix}${q}`;
  const roll = random();
  if (roll < options.reads) {
    const which = random();
    if (which < 0.5) {
      const q = book.anyCreated(random);
      if (q !== undefined) return { kind: 'read-player', method: 'GET', path: `/v1/players/${id(q)}`, player: q, send: (c, o) => c.getPlayer(id(q), undefined, o) };
    } else if (which < 0.75) {
      return { kind: 'read-top', method: 'GET', path: `/v1/leaderboards/${options.board}/top?limit=10`, send: (c, o) => c.getTop(options.board, { limit: 10 }, o) };
    } else {
      const q = book.anyScored(random);
      if (q !== undefined) {
        return { kind: 'read-rank', method: 'GET', path: `/v1/leaderboards/${options.board}/players/${id(q)}`, player: q, send: (c, o) => c.getPlayerScore(options.board, id(q), undefined, o) };
      }
    }
    // Nobody to read yet: the player plays instead.
  } else if (roll < options.reads + options.scores) {
    // A match ends: a score that tends to grow as the day goes on (the board keeps each player's best).
    const score = Math.floor(1000 + random() * 9000 + (p % 97) * 50);
    const body = { playerId: id(p), score, ...(options.regions ? { region: playerRegion(p, options.regions) } : {}) };
    return { kind: 'score', method: 'POST', path: `/v1/leaderboards/${options.board}/scores`, body, player: p, send: (c, o) => c.submitScore(options.board, body, o) };
  }
  const body = { events: playerEvents(p, book, random), durability: options.durability };
  return { kind: 'event', method: 'POST', path: `/v1/players/${id(p)}/events`, body, player: p, send: (c, o) => c.appendEvents(id(p), body, o) };
}

/** A batch of events a game server would send for one thing a player did. */
function playerEvents(p: number, book: PlayerBook, random: () => number): AppendedEvents {
  if (!book.isCreated(p)) {
    // Logging in for the first time today: the region puts the player on the regional stat board.
    return [
      { type: 'data.set', data: { key: 'region', value: playerRegion(p, null) } },
      { type: 'data.set', data: { key: 'name', value: `Player ${p}` } },
      { type: 'stat.set', data: { stat: 'level', value: 1 } },
    ];
  }
  const what = random();
  if (what < 0.4) {
    return [
      { type: 'stat.add', data: { stat: 'kills', amount: 1 } },
      { type: 'stat.add', data: { stat: 'xp', amount: 10 + Math.floor(random() * 50) } },
    ];
  }
  if (what < 0.7) {
    return [
      { type: 'item.grant', data: { item: ITEMS[Math.floor(random() * ITEMS.length)] as string, qty: 1 + Math.floor(random() * 3) } },
      { type: 'stat.add', data: { stat: 'gold', amount: 1 + Math.floor(random() * 100) } },
    ];
  }
  if (what < 0.9) return [{ type: 'data.set', data: { key: 'zone', value: `zone-${Math.floor(random() * 64)}` } }];
  return [{ type: 'stat.max', data: { stat: 'level', value: 2 + Math.floor(random() * 60) } }];
}

/** Share of the players online at `x` ∈ [0, 1] of the run: flat, or a day compressed into the run (30% → 100% → 30%). */
export function onlineShare(curve: 'flat' | 'day', x: number): number {
  if (curve === 'flat') return 1;
  const s = Math.sin(Math.PI * Math.min(1, Math.max(0, x)));
  return 0.3 + 0.7 * s * s;
}
