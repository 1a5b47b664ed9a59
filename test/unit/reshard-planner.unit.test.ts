// The plans of moves: an even share (±1) with as few slots moved as possible, and a drain that empties one shard.
import { describe, expect, it } from 'vitest';
import { planDrain, planRebalance } from '../../src/resharding/planner.js';
import { SLOT_COUNT, SlotMap } from '../../src/sharding/index.js';

function apply(owners: number[], moves: Array<{ slot: number; from: number; to: number }>): number[] {
  const next = [...owners];
  for (const m of moves) {
    expect(next[m.slot]).toBe(m.from);
    next[m.slot] = m.to;
  }
  return next;
}

function counts(owners: readonly number[], ids: readonly number[]): number[] {
  return ids.map((id) => owners.filter((o) => o === id).length);
}

describe('planRebalance', () => {
  it('gives a new shard its share from every old shard, moving only the surplus (4 → 5: 819 slots)', () => {
    const owners = SlotMap.even(4).toArray();
    const moves = planRebalance(owners, [0, 1, 2, 3, 4]);
    expect(moves).toHaveLength(819);
    expect(moves.every((m) => m.to === 4)).toBe(true);
    const after = counts(apply(owners, moves), [0, 1, 2, 3, 4]);
    expect(Math.max(...after) - Math.min(...after)).toBeLessThanOrEqual(1);
    expect(after.reduce((a, b) => a + b)).toBe(SLOT_COUNT);
  });

  it('moves nothing when the map is already even, and evens out any map with the fewest moves', () => {
    expect(planRebalance(SlotMap.even(5).toArray(), [0, 1, 2, 3, 4])).toEqual([]);
    const skewed = Array.from({ length: SLOT_COUNT }, (_, s) => (s < 3000 ? 0 : s < 3500 ? 1 : 2));
    const moves = planRebalance(skewed, [0, 1, 2, 7]);
    // Targets 1024 each: shard 0 gives exactly its surplus over 1024.
    expect(moves).toHaveLength(3000 - 1024);
    const after = counts(apply(skewed, moves), [0, 1, 2, 7]);
    expect(after).toEqual([1024, 1024, 1024, 1024]);
  });
});

describe('planDrain', () => {
  it('moves every slot off the shard, spreading them over the others', () => {
    const owners = planRebalance(SlotMap.even(4).toArray(), [0, 1, 2, 3, 4]).reduce((o, m) => ((o[m.slot] = m.to), o), SlotMap.even(4).toArray());
    const moves = planDrain(owners, [0, 1, 2, 3, 4], 4);
    expect(moves).toHaveLength(819);
    const after = apply(owners, moves);
    expect(after.includes(4)).toBe(false);
    const c = counts(after, [0, 1, 2, 3]);
    expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
    expect(() => planDrain(SlotMap.even(1).toArray(), [0], 0)).toThrow(RangeError);
  });
});
