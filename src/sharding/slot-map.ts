// Which shard owns which slot. The default map splits the 4096 slots into contiguous, even ranges.
// Growing by a shard (withAddedShard) hands the new shard a share of every old shard's slots, so about
// 1/(N+1) of the players move, where `id % N` would move almost all of them.
import { SLOT_COUNT } from './slot-hash.js';

export class SlotMap {
  private readonly owner: Uint16Array;

  private constructor(readonly shardCount: number, owner: Uint16Array) {
    this.owner = owner;
  }

  /** Contiguous even ranges: slot s belongs to shard floor(s * n / 4096). */
  static even(shardCount: number): SlotMap {
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > SLOT_COUNT) {
      throw new RangeError(`shard count must be 1..${SLOT_COUNT}, got ${shardCount}`);
    }
    const owner = new Uint16Array(SLOT_COUNT);
    for (let slot = 0; slot < SLOT_COUNT; slot++) owner[slot] = Math.floor((slot * shardCount) / SLOT_COUNT);
    return new SlotMap(shardCount, owner);
  }

  /** An explicit map (e.g. after moving slots to a new shard): entry i is the shard of slot i. */
  static fromArray(shards: readonly number[]): SlotMap {
    if (shards.length !== SLOT_COUNT) throw new RangeError(`a slot map has ${SLOT_COUNT} entries, got ${shards.length}`);
    const shardCount = Math.max(...shards) + 1;
    for (const s of shards) if (!Number.isInteger(s) || s < 0) throw new RangeError(`bad shard index ${s}`);
    return new SlotMap(shardCount, Uint16Array.from(shards));
  }

  /** The map after adding one shard: each old shard gives its last slots until all are even. */
  withAddedShard(): SlotMap {
    const newShard = this.shardCount;
    const total = this.shardCount + 1;
    const owner = Uint16Array.from(this.owner);
    const target = Math.floor(SLOT_COUNT / total);
    for (let shard = 0; shard < this.shardCount; shard++) {
      const slots: number[] = [];
      owner.forEach((o, slot) => {
        if (o === shard) slots.push(slot);
      });
      for (const slot of slots.slice(target)) owner[slot] = newShard;
    }
    return new SlotMap(total, owner);
  }

  shardOfSlot(slot: number): number {
    return this.owner[slot] ?? 0;
  }

  toArray(): number[] {
    return Array.from(this.owner);
  }
}
