// Routes player ids to shards and fans batch work out to the shards in parallel.
import { slotOf } from './slot-hash.js';
import type { SlotMap } from './slot-map.js';

export class ShardRouter {
  constructor(private readonly slots: SlotMap) {}

  get shardCount(): number {
    return this.slots.shardCount;
  }

  shardOf(playerId: string): number {
    return this.slots.shardOfSlot(slotOf(playerId));
  }

  /** Groups ids by shard, keeping each id once and the order within a shard. */
  groupByShard(playerIds: Iterable<string>): Map<number, string[]> {
    const groups = new Map<number, string[]>();
    const seen = new Set<string>();
    for (const id of playerIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      const shard = this.shardOf(id);
      const group = groups.get(shard);
      if (group) group.push(id);
      else groups.set(shard, [id]);
    }
    return groups;
  }

  /**
   * Runs `work` once per shard that owns some of the ids, all shards at once.
   * Any failing shard fails the whole call (after every shard settled): a result is never silently partial.
   */
  async fanOut<T>(playerIds: Iterable<string>, work: (shard: number, ids: string[]) => Promise<T>): Promise<T[]> {
    const groups = [...this.groupByShard(playerIds)];
    const settled = await Promise.allSettled(groups.map(([shard, ids]) => work(shard, ids)));
    const results: T[] = [];
    for (const outcome of settled) {
      if (outcome.status === 'rejected') throw outcome.reason;
      results.push(outcome.value);
    }
    return results;
  }
}
