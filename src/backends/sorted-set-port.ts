// The sorted-set port: what leaderboards need from a store of ranked sets. Redis (Lua scripts) and an in-process
// B+tree implement it and pass one contract suite (test/int/sorted-set-port.int.test.ts).
//
// A set holds at most one entry per player. Entries are ordered by (score ascending, at ascending, playerId
// bytewise ascending): the port knows nothing of "desc" boards, the leaderboard encodes that into the score.
// Every operation that is not `restore`/`drop`/`exists` first checks the set's marker and throws SetMissingError
// when it is gone (the store lost the set: restarted empty, evicted), so the caller can rebuild before trusting it.
import { RealmError } from '../errors.js';

/** Largest magnitude of a score; every integer up to it is exact in a double (and so in Redis). */
export const MAX_SCORE = Number.MAX_SAFE_INTEGER;

export interface SortedSetEntry {
  playerId: string;
  /** Integer in ±MAX_SCORE; lower ranks first. */
  score: number;
  /** When the entry reached this score, microseconds since the epoch (integer, 0..2^53−1); earlier ranks first. */
  at: number;
}

export interface PlacedEntry extends SortedSetEntry {
  /** 0-based position in its set. */
  position: number;
}

/**
 * `min` keeps the lower of the stored and the new score, `set` replaces it, `add` adds to it (missing counts as 0).
 * The leaderboard maps best/set/incr of a desc or asc board onto these.
 */
export type ScoreOp = 'min' | 'set' | 'add';

export interface SubmitRequest {
  op: ScoreOp;
  /** Integer in ±MAX_SCORE. */
  value: number;
  /** The time the score is reached if it changes; an unchanged score keeps its earlier time. */
  at: number;
  /** Write nothing and resolve undefined when the player has no entry in this set (see `carry`). */
  onlyIfPresent?: boolean;
  /**
   * The player's entry taken from another set (a region move). It is the base the operator applies to;
   * if the player also has an entry here (two moves raced), both combine first: `min` keeps the better,
   * `add` sums them, `set` keeps the one here.
   */
  carry?: SortedSetEntry;
}

export interface SubmitOutcome {
  entry: PlacedEntry;
  /** False when the stored score did not change (its time was kept). */
  changed: boolean;
}

export interface Neighbourhood {
  /** Entries of the set strictly ahead of the key. */
  ahead: number;
  /** Up to `above` entries just ahead of the key, in rank order. */
  above: SortedSetEntry[];
  /** Up to `below` entries just behind the key (the key's own entry excluded), in rank order. */
  below: SortedSetEntry[];
}

export interface SortedSetStore {
  /** Names the store in logs and readiness (no secrets). */
  readonly label: string;
  /** Applies `request` atomically. Throws RejectedError when an `add` would leave ±MAX_SCORE (nothing changes). */
  submit(set: string, playerId: string, request: SubmitRequest): Promise<SubmitOutcome | undefined>;
  /** Removes the player's entry and returns it (undefined if none). */
  take(set: string, playerId: string): Promise<SortedSetEntry | undefined>;
  /** The player's entry and its position. */
  find(set: string, playerId: string): Promise<PlacedEntry | undefined>;
  /** Up to `count` entries from 0-based `start` on. */
  range(set: string, start: number, count: number): Promise<SortedSetEntry[]>;
  /**
   * The entries around `key`, which need not be in this set (global rank and around-me across regions).
   * `above`/`below` 0 gives just the count of entries ahead.
   */
  neighbourhood(set: string, key: SortedSetEntry, above: number, below: number): Promise<Neighbourhood>;
  /**
   * Replaces the set with the entries `load` returns and sets its marker. With `force` false it does nothing
   * when the marker is present (someone rebuilt it already). Concurrent restores of one set (also from other
   * processes sharing the store) run one at a time; operations on the set fail with SetMissingError meanwhile.
   * Returns the number of entries loaded, or undefined if nothing had to be done.
   */
  restore(set: string, load: () => Promise<Iterable<SortedSetEntry>>, options: { force: boolean }): Promise<number | undefined>;
  /** Whether the set's marker is present (the set exists, possibly empty). */
  exists(set: string): Promise<boolean>;
  /** Deletes the set and its marker. */
  drop(set: string): Promise<void>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  /**
   * Optional, for several sets of this store read as one (the regions of a board season): the first `count` entries
   * of their union, in order. Throws SetMissingError when any of them is missing. A store offers it when it can
   * answer in one step (a single Redis node: one script); callers fall back to `range` per set otherwise.
   */
  rangeUnion?(sets: readonly string[], count: number): Promise<SortedSetEntry[]>;
  /**
   * Optional, as `rangeUnion`: the player's entry in the union of `sets` (the best one, should it be in several) with
   * its 0-based position in that union. Throws SetMissingError when any of them is missing.
   */
  findInUnion?(sets: readonly string[], playerId: string): Promise<PlacedEntry | undefined>;
}

/** The store does not have this set (its marker is gone): it must be restored from the durable copy first. */
export class SetMissingError extends RealmError {
  constructor(readonly set: string) {
    super('unavailable', `sorted set ${set} is missing from the store and must be rebuilt`);
  }
}

export function isSetMissing(err: unknown): err is SetMissingError {
  return err instanceof SetMissingError;
}

/** The order of entries in every set: score, then time, then player id (by UTF-16 code units, which is bytewise for ids). */
export function compareEntries(a: SortedSetEntry, b: SortedSetEntry): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  return a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0;
}
