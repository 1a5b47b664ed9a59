// Redis adapter of the player cache: `<prefix>player:<id>` holds "<seq>:<state json>" with a TTL that only bounds
// memory; every commit replaces it through one Lua script that refuses older seqs.
import type { Redis } from 'ioredis';
import type { CachedPlayer, CacheWrite, PlayerCache } from '../player-cache.js';
import { defineScripts } from './lua-scripts.js';

type CacheClient = Redis & {
  rsCacheSetIfNewer(key: string, seq: number, json: string, ttlMs: number): Promise<number>;
};

export class RedisPlayerCache implements PlayerCache {
  readonly shared = true;
  private readonly client: CacheClient;

  constructor(client: Redis, private readonly options: { keyPrefix: string; ttlMs: number; ownsClient?: boolean }) {
    defineScripts(client);
    this.client = client as CacheClient;
  }

  private key(playerId: string): string {
    return `${this.options.keyPrefix}player:${playerId}`;
  }

  async getMany(playerIds: readonly string[]): Promise<Map<string, CachedPlayer>> {
    const out = new Map<string, CachedPlayer>();
    if (playerIds.length === 0) return out;
    const values = await this.client.mget(...playerIds.map((id) => this.key(id)));
    values.forEach((v, i) => {
      if (v === null) return;
      const sep = v.indexOf(':');
      out.set(playerIds[i] as string, { seq: Number(v.slice(0, sep)), json: v.slice(sep + 1) });
    });
    return out;
  }

  async setIfNewer(entries: readonly CacheWrite[]): Promise<void> {
    if (entries.length === 0) return;
    if (entries.length === 1) {
      const e = entries[0] as CacheWrite;
      await this.client.rsCacheSetIfNewer(this.key(e.playerId), e.seq, e.json, this.options.ttlMs);
      return;
    }
    const pipeline = this.client.pipeline() as unknown as { rsCacheSetIfNewer: CacheClient['rsCacheSetIfNewer']; exec: () => Promise<Array<[Error | null, unknown]> | null> };
    for (const e of entries) void pipeline.rsCacheSetIfNewer(this.key(e.playerId), e.seq, e.json, this.options.ttlMs);
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  describe(): string {
    return 'Redis';
  }

  async close(): Promise<void> {
    if (this.options.ownsClient) this.client.disconnect();
  }
}
