// Slots over live instances: spread evenly, the same answer everywhere, and a join or a leave moves only the slots
// the newcomer takes or the leaver gave.
import { describe, expect, it } from 'vitest';
import { assignSlots } from '../../src/fleet/index.js';

const count = (assigned: string[], id: string) => assigned.filter((o) => o === id).length;

describe('slot assignment', () => {
  it('spreads the 4096 slots within 10% of an even share', () => {
    for (const n of [2, 3, 5, 8]) {
      const ids = Array.from({ length: n }, (_, i) => `host-${i}-a1b2c3d4`);
      const assigned = assignSlots(ids);
      expect(assigned).toHaveLength(4096);
      for (const id of ids) {
        const share = count(assigned, id) / (4096 / n);
        expect(share, `${id} of ${n}`).toBeGreaterThan(0.9);
        expect(share, `${id} of ${n}`).toBeLessThan(1.1);
      }
    }
  });

  it('does not depend on the order of the list', () => {
    expect(assignSlots(['b', 'a', 'c'])).toEqual(assignSlots(['c', 'b', 'a']));
  });

  it('moves only the newcomer’s slots on a join and only the leaver’s on a leave', () => {
    const before = assignSlots(['i-1', 'i-2', 'i-3']);
    const joined = assignSlots(['i-1', 'i-2', 'i-3', 'i-4']);
    joined.forEach((owner, slot) => {
      if (owner !== 'i-4') expect(owner).toBe(before[slot]);
    });
    const left = assignSlots(['i-1', 'i-3']);
    left.forEach((owner, slot) => {
      if (before[slot] !== 'i-2') expect(owner).toBe(before[slot]);
    });
  });

  it('gives every slot to the only instance', () => {
    expect(new Set(assignSlots(['solo']))).toEqual(new Set(['solo']));
    expect(assignSlots([])).toEqual([]);
  });
});
