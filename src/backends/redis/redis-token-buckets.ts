// Redis adapter of the shared token buckets: one Lua script per refill, one key per bucket
// (`<prefix>rl:{<name>}`, a single key, so any Redis Cluster node may hold it).
import type { SharedBucketStore } from '../shared-bucket-port.js';
import { defineScripts } from './lua-scripts.js';
import type { RedisClient } from './redis-client.js';

export class RedisTokenBuckets implements SharedBucketStore {
  private readonly call: (name: string, ...args: Array<string | number>) => Promise<unknown>;

  constructor(client: RedisClient, private readonly options: { keyPrefix: string }) {
    this.call = defineScripts(client);
  }

  async take(bucket: string, limits: { perSecond: number; capacity: number }, n: number): Promise<{ granted: number; retryAfterMs: number }> {
    const [granted, retryAfterMs] = (await this.call('bucket-take', `${this.options.keyPrefix}rl:{${bucket}}`, limits.perSecond, limits.capacity, n)) as [number, number];
    return { granted, retryAfterMs };
  }
}
