// In-process adapter of the player cache (lru-cache), used without Redis.
import { LRUCache } from 'lru-cache';
import type { CachedPlayer, CacheWrite, PlayerCache } from '../player-cache.js';

export class MemoryPlayerCache implements PlayerCache {
  readonly shared = false;
  private readonly lru: LRUCache<string, CachedPlayer>;

  constructor(options: { maxEntries: number; ttlMs: number }) {
    this.lru = new LRUCache({ max: options.maxEntries, ttl: options.ttlMs });
  }

  async getMany(playerIds: readonly string[]): Promise<Map<string, CachedPlayer>> {
    const out = new Map<string, CachedPlayer>();
    for (const id of playerIds) {
      const hit = this.lru.get(id);
      if (hit) out.set(id, hit);
    }
    return out;
  }

  async setIfNewer(entries: readonly CacheWrite[]): Promise<void> {
    for (const e of entries) {
      const current = this.lru.get(e.playerId);
      if (current && current.seq >= e.seq) continue;
      this.lru.set(e.playerId, { seq: e.seq, json: e.json });
    }
  }

  async ping(): Promise<void> {}

  describe(): string {
    return 'in-process LRU';
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
