// The fence of a commit: inside the commit's own transaction, the shard must still own every slot it writes.
// The slot_owner rows are locked FOR SHARE, so a move's switch (which deletes the row) waits for commits in
// flight and every later commit sees the row gone. A frozen slot is being handed over: its writes wait.
import type { SqlExecutor } from '../backends/postgres/index.js';
import type { WriterFence } from '../backends/postgres/coalescing-writer.js';
import type { ShardRouter } from './shard-router.js';
import { slotOf } from './slot-hash.js';

export interface SlotFence {
  /** Slots this shard no longer owns: their writes go to the new owner. */
  moved: Set<number>;
  /** Slots frozen by a move in progress: their writes wait and try again. */
  frozen: Set<number>;
}

export async function checkSlotOwnership(tx: SqlExecutor, slots: readonly number[]): Promise<SlotFence> {
  const wanted = [...new Set(slots)];
  const rows = await tx.query<{ slot: number; frozen: boolean }>('SELECT slot, frozen FROM slot_owner WHERE slot = ANY($1::int[]) FOR SHARE', [wanted]);
  const owned = new Map(rows.map((r) => [r.slot, r.frozen]));
  const fence: SlotFence = { moved: new Set(), frozen: new Set() };
  for (const slot of wanted) {
    const frozen = owned.get(slot);
    if (frozen === undefined) fence.moved.add(slot);
    else if (frozen) fence.frozen.add(slot);
  }
  return fence;
}

/** The fence of a batched writer of rows keyed by player (the `players` rows, the leaderboards' durable copy). */
export function playerRowsFence<V>(router: ShardRouter, playerOf: (value: V) => string): WriterFence<V> {
  return {
    slotOf: (value) => slotOf(playerOf(value)),
    check: checkSlotOwnership,
    reload: () => router.reload(),
    shardOf: (value) => router.shardOf(playerOf(value)),
  };
}
