// The player state document of API.md and the names it allows.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface PlayerState {
  playerId: string;
  /** Seq of the last event applied; 0 never appears in a stored state (a player exists from seq 1). */
  seq: number;
  stats: Record<string, number>;
  items: Record<string, number>;
  data: Record<string, JsonValue>;
  /** Trades this player is in: 'held' while its goods are in a trade's escrow, 'void' once a trade was closed before its hold. Absent when empty. */
  trades?: Record<string, TradeMark>;
  /** Matchmaking ratings by queue; absent until the player's first rated match. */
  ratings?: Record<string, QueueRating>;
  createdAt: string;
  updatedAt: string;
}

export type TradeMark = 'held' | 'void';
/** A player's Weng-Lin rating in one matchmaking queue, and the last match that set it. */
export interface QueueRating {
  mu: number;
  sigma: number;
  matches: number;
  lastMatchId: string;
}

/** Player ids, and stat, item and data key names: 1–64 of A-Z a-z 0-9 _ - . : */
export const NAME_PATTERN = /^[A-Za-z0-9_\-.:]{1,64}$/;

export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && NAME_PATTERN.test(value);
}

/**
 * Maps with a null prototype: names such as "constructor" or "__proto__" are legal stat names,
 * and on a plain object they would read inherited values or set the prototype.
 */
export function nullProtoCopy<V>(source: Readonly<Record<string, V>> | undefined): Record<string, V> {
  return Object.assign(Object.create(null) as Record<string, V>, source);
}

export function emptyState(playerId: string, at: string): PlayerState {
  return { playerId, seq: 0, stats: nullProtoCopy({}), items: nullProtoCopy({}), data: nullProtoCopy({}), createdAt: at, updatedAt: at };
}

/** A state read back from JSON (database, cache) with its maps made safe again. */
export function reviveState(raw: PlayerState): PlayerState {
  return {
    playerId: raw.playerId,
    seq: Number(raw.seq),
    stats: nullProtoCopy(raw.stats),
    items: nullProtoCopy(raw.items),
    data: nullProtoCopy(raw.data),
    ...(raw.trades ? { trades: nullProtoCopy(raw.trades) } : {}),
    ...(raw.ratings ? { ratings: nullProtoCopy(raw.ratings) } : {}),
    createdAt: raw.createdAt,
    updatedAt: raw.updatedAt,
  };
}

/** A shallow copy whose maps can be changed without touching `state`. */
export function draftOf(state: PlayerState): PlayerState {
  const draft = { ...state, stats: nullProtoCopy(state.stats), items: nullProtoCopy(state.items), data: nullProtoCopy(state.data) };
  if (state.trades) draft.trades = nullProtoCopy(state.trades);
  if (state.ratings) draft.ratings = nullProtoCopy(state.ratings);
  return draft;
}

const jsonOf = new WeakMap<PlayerState, string>();

/** The state as JSON text, computed once per state object (states are never changed after they are made). */
export function stateJson(state: PlayerState): string {
  let json = jsonOf.get(state);
  if (json === undefined) {
    json = JSON.stringify(state);
    jsonOf.set(state, json);
  }
  return json;
}
