// Redis adapter of the player cache: `<prefix>player:<id>` holds "<seq>:<state json>" with a TTL that only bounds
// memory; every commit replaces it through one Lua script that refuses older seqs.
// On a Redis Cluster players' keys are spread over the nodes: reads and writes of several players go out as one
// command per player, which the cluster client batches per node (auto-pipelining) instead of one MGET or pipeline.
import type { CachedPlayer, CacheWrite, PlayerCache } from '../player-cache.js';
import { defineScripts } from './lua-scripts.js';
import { isCluster, type RedisClient } from './redis-client.js';

type CacheClient = RedisClient & {
  rsCacheSetIfNewer(key: string, seq: number, json: string, ttlMs: number): Promise<number>;
};

export class RedisPlayerCache implements PlayerCache {
  readonly shared = true;
  private readonly client: CacheClient;
  private readonly cluster: boolean;

  constructor(client: RedisClient, private readonly options: { keyPrefix: string; ttlMs: number; ownsClient?: boolean }) {
    defineScripts(client);
    this.client = client as CacheClient;
    this.cluster = isCluster(client);
  }

  private key(playerId: string): string {
    return `${this.options.keyPrefix}player:${playerId}`;
  }

  async getMany(playerIds: readonly string[]): Promise<Map<string, CachedPlayer>> {
    const out = new Map<string, CachedPlayer>();
    if (playerIds.length === 0) return out;
    const keys = playerIds.map((id) => this.key(id));
    const values = this.cluster ? await Promise.all(keys.map((k) => this.client.get(k))) : await this.client.mget(...keys);
    values.forEach((v, i) => {
      if (v === null) return;
      const sep = v.indexOf(':');
      out.set(playerIds[i] as string, { seq: Number(v.slice(0, sep)), json: v.slice(sep + 1) });
    });
    return out;
  }

  async setIfNewer(entries: readonly CacheWrite[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.cluster) {
      await Promise.all(entries.map((e) => this.client.rsCacheSetIfNewer(this.key(e.playerId), e.seq, e.json, this.options.ttlMs)));
      return;
    }
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
