import { describe, expect, it } from 'vitest';
import { fnv1a32, ShardRouter, SLOT_COUNT, slotOf, SlotMap } from '../../src/sharding/index.js';

describe('slot hash', () => {
  it('is FNV-1a 32-bit (published test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('gives stable slots: changing it would move every stored player', () => {
    // Computed independently (Python) from the FNV-1a definition.
    expect([slotOf('p1'), slotOf('player:42'), slotOf('Aria.eu')]).toEqual([1658, 628, 2832]);
  });

  it('spreads ids over the slots', () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 40_960; i++) counts.set(slotOf(`player-${i}`), (counts.get(slotOf(`player-${i}`)) ?? 0) + 1);
    expect(counts.size).toBeGreaterThan(4000);
  });
});

describe('slot map', () => {
  it('splits slots evenly into contiguous ranges', () => {
    for (const n of [1, 3, 4, 7, 10]) {
      const map = SlotMap.even(n);
      const sizes = new Array<number>(n).fill(0);
      for (let s = 0; s < SLOT_COUNT; s++) sizes[map.shardOfSlot(s)]! += 1;
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      for (let s = 1; s < SLOT_COUNT; s++) expect(map.shardOfSlot(s)).toBeGreaterThanOrEqual(map.shardOfSlot(s - 1));
    }
  });

  it('rejects a shard count of 0 or above the slot count', () => {
    expect(() => SlotMap.even(0)).toThrow(RangeError);
    expect(() => SlotMap.even(4097)).toThrow(RangeError);
  });

  it('adding a shard moves about 1/(N+1) of the slots, where id % N moves most players', () => {
    const before = SlotMap.even(4);
    const after = before.withAddedShard();
    let moved = 0;
    const sizes = new Array<number>(5).fill(0);
    for (let s = 0; s < SLOT_COUNT; s++) {
      if (before.shardOfSlot(s) !== after.shardOfSlot(s)) {
        moved++;
        expect(after.shardOfSlot(s)).toBe(4);
      }
      sizes[after.shardOfSlot(s)]! += 1;
    }
    expect(moved / SLOT_COUNT).toBeCloseTo(1 / 5, 2);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(4);
    let modMoved = 0;
    for (let i = 0; i < 10_000; i++) if (fnv1a32(`p${i}`) % 4 !== fnv1a32(`p${i}`) % 5) modMoved++;
    expect(modMoved / 10_000).toBeGreaterThan(0.7);
  });

  it('round-trips through an explicit array', () => {
    const map = SlotMap.even(3).withAddedShard();
    expect(SlotMap.fromArray(map.toArray()).toArray()).toEqual(map.toArray());
  });
});

describe('shard router', () => {
  const router = new ShardRouter(SlotMap.even(4));

  it('groups ids by shard once each, keeping order inside a shard', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `p${i}`);
    const groups = router.groupByShard([...ids, ...ids]);
    expect([...groups.values()].flat().sort()).toEqual([...ids].sort());
    for (const [shard, group] of groups) {
      for (const id of group) expect(router.shardOf(id)).toBe(shard);
      expect(group).toEqual(ids.filter((id) => router.shardOf(id) === shard));
    }
  });

  it('fans out to every shard in parallel and fails if one shard fails', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `p${i}`);
    let running = 0;
    let peak = 0;
    const results = await router.fanOut(ids, async (shard, group) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
      return [shard, group.length] as const;
    });
    expect(results.length).toBe(4);
    expect(peak).toBe(4);
    await expect(
      router.fanOut(ids, async (shard) => {
        if (shard === 2) throw new Error('shard 2 down');
        return shard;
      }),
    ).rejects.toThrow('shard 2 down');
  });
});
