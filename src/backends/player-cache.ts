// The player-cache port of the read side. An entry is a player's committed state with its seq; a write replaces
// the entry only with a newer seq, so writes that arrive out of order never make the cache go back.
// Adapters: Redis (shared by every process; redis/redis-player-cache.ts) and an in-process LRU (memory/).

export interface CachedPlayer {
  seq: number;
  /** The state document, as JSON text (served as is). */
  json: string;
}

export interface CacheWrite extends CachedPlayer {
  playerId: string;
}

export interface PlayerCache {
  /** True when other processes read the same entries (Redis); false for the in-process cache. */
  readonly shared: boolean;
  getMany(playerIds: readonly string[]): Promise<Map<string, CachedPlayer>>;
  /** Stores each entry unless the cache already holds the same or a newer seq for that player. */
  setIfNewer(entries: readonly CacheWrite[]): Promise<void>;
  ping(): Promise<void>;
  describe(): string;
  close(): Promise<void>;
}
