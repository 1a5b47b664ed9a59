// Routes player ids to shards and fans batch work out to the shards in parallel.
// The map names shards by id; the router turns an id into the index of its database in this process's list.
// The map is replaced (never mutated) when a move switches a slot.
import { UnavailableError } from '../errors.js';
import { slotOf } from './slot-hash.js';
import type { SlotMap } from './slot-map.js';

export class ShardRouter {
  private slots: SlotMap;
  private indexOfId: Map<number, number>;
  private currentEpoch: number;
  private ids: number[];
  /** Set by the composition root: reads the map again from the databases (after a fence said it is stale). */
  reloader: (() => Promise<void>) | undefined;
  private reloading: Promise<void> | undefined;

  /** `ids[i]`: the shard id of the database at index i (default: the index itself). */
  constructor(slots: SlotMap, ids?: readonly number[], epoch = 0) {
    this.slots = slots;
    this.ids = ids ? [...ids] : Array.from({ length: slots.shardCount }, (_, i) => i);
    this.indexOfId = new Map(this.ids.map((id, i) => [id, i]));
    this.currentEpoch = epoch;
  }

  /** Number of databases this process knows (some may own no slots). */
  get shardCount(): number {
    return this.ids.length;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  get map(): SlotMap {
    return this.slots;
  }

  /** The shard id of each database, by index. */
  get shardIds(): readonly number[] {
    return this.ids;
  }

  /**
   * Index of the home shard: the one with the lowest id (shard 0 of the first deployment). The deployment's own tables
   * (board definitions, anti-cheat flags, bans and audit, the economy's books) live there, wherever DATABASE_URLS
   * lists it; it may be drained of slots but must stay listed.
   */
  homeIndex(): number {
    let best = 0;
    this.ids.forEach((id, i) => {
      if (id < (this.ids[best] as number)) best = i;
    });
    return best;
  }

  /** Takes a newer map; an older or equal epoch is ignored (two reloads may finish out of order). */
  update(slots: SlotMap, epoch: number, ids?: readonly number[]): boolean {
    if (epoch <= this.currentEpoch && this.currentEpoch !== 0) return false;
    this.slots = slots;
    this.currentEpoch = epoch;
    if (ids) {
      this.ids = [...ids];
      this.indexOfId = new Map(this.ids.map((id, i) => [id, i]));
    }
    return true;
  }

  /** Reloads the map once for all callers waiting at the same time. */
  reload(): Promise<void> {
    if (!this.reloader) return Promise.resolve();
    this.reloading ??= this.reloader().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  indexOfShard(id: number): number | undefined {
    return this.indexOfId.get(id);
  }

  shardOfSlot(slot: number): number {
    const id = this.slots.shardOfSlot(slot);
    const index = this.indexOfId.get(id);
    if (index === undefined) throw new UnavailableError(`slot ${slot} belongs to shard ${id}, which DATABASE_URLS does not list`);
    return index;
  }

  shardOf(playerId: string): number {
    return this.shardOfSlot(slotOf(playerId));
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
