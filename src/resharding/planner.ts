// Plans of moves: which slots go where so that every shard ends with an even share (±1), moving as few as possible.
import { SLOT_COUNT } from '../sharding/index.js';

export interface PlannedMove {
  slot: number;
  /** Shard ids. */
  from: number;
  to: number;
}

function slotsByOwner(owners: readonly number[]): Map<number, number[]> {
  const by = new Map<number, number[]>();
  owners.forEach((owner, slot) => {
    const list = by.get(owner);
    if (list) list.push(slot);
    else by.set(owner, [slot]);
  });
  return by;
}

/**
 * Moves that leave each of `shards` with floor(4096/n) or one more slots. The shards that own most keep the
 * extra slot, so only the surplus moves; a shard gives its highest slots first (the contiguous ranges stay whole).
 */
export function planRebalance(owners: readonly number[], shards: readonly number[]): PlannedMove[] {
  const ids = [...new Set(shards)].sort((a, b) => a - b);
  if (ids.length === 0) return [];
  const by = slotsByOwner(owners);
  const base = Math.floor(SLOT_COUNT / ids.length);
  let extra = SLOT_COUNT % ids.length;
  // Shards that own most keep the spare slots.
  const ordered = [...ids].sort((a, b) => (by.get(b)?.length ?? 0) - (by.get(a)?.length ?? 0) || a - b);
  const target = new Map<number, number>();
  for (const id of ordered) target.set(id, base + (extra-- > 0 ? 1 : 0));
  const giving: Array<{ from: number; slot: number }> = [];
  // Slots of shards not in the list (none after a valid start) all go.
  for (const [owner, slots] of by) {
    const keep = target.get(owner) ?? 0;
    for (const slot of slots.slice(keep).reverse()) giving.push({ from: owner, slot });
  }
  const moves: PlannedMove[] = [];
  for (const id of ids) {
    let need = (target.get(id) ?? 0) - (by.get(id)?.length ?? 0);
    while (need-- > 0) {
      const g = giving.shift();
      if (!g) break;
      moves.push({ slot: g.slot, from: g.from, to: id });
    }
  }
  return moves.sort((a, b) => a.slot - b.slot);
}

/** Moves every slot of `drained` to the other shards, always to the one that owns fewest at that point. */
export function planDrain(owners: readonly number[], shards: readonly number[], drained: number): PlannedMove[] {
  const others = [...new Set(shards)].filter((id) => id !== drained);
  if (others.length === 0) throw new RangeError('cannot drain the only shard');
  const by = slotsByOwner(owners);
  const count = new Map(others.map((id) => [id, by.get(id)?.length ?? 0]));
  const moves: PlannedMove[] = [];
  for (const slot of by.get(drained) ?? []) {
    let to = others[0] as number;
    for (const id of others) if ((count.get(id) ?? 0) < (count.get(to) ?? 0)) to = id;
    count.set(to, (count.get(to) ?? 0) + 1);
    moves.push({ slot, from: drained, to });
  }
  return moves;
}
