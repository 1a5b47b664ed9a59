// The embedded skiplist against a sorted array: ranks, access by rank and slices after random inserts and deletes.
import { describe, expect, it } from 'vitest';
import { OrderStatisticList } from '../../src/backends/memory/index.js';
import { seededRandom as rng } from '../helpers/seeded-random.js';


describe('order-statistic skiplist', () => {
  it('is empty at first and answers without errors', () => {
    const list = new OrderStatisticList<number>((a, b) => a - b);
    expect(list.size).toBe(0);
    expect(list.at(0)).toBeUndefined();
    expect(list.slice(0, 10)).toEqual([]);
    expect(list.countLess(5)).toBe(0);
    expect(list.delete(5)).toBe(false);
  });

  it('matches a sorted array through 20,000 random inserts and deletes', () => {
    const random = rng(42);
    const list = new OrderStatisticList<number>((a, b) => a - b, random);
    const model: number[] = [];
    const present = new Set<number>();
    for (let step = 0; step < 20_000; step++) {
      const key = Math.floor(random() * 5000);
      if (present.has(key) && random() < 0.6) {
        expect(list.delete(key)).toBe(true);
        present.delete(key);
        model.splice(model.indexOf(key), 1);
      } else if (!present.has(key)) {
        const rank = list.insert(key);
        present.add(key);
        let i = 0;
        while (i < model.length && (model[i] as number) < key) i++;
        model.splice(i, 0, key);
        expect(rank).toBe(i);
      } else {
        expect(list.delete(key + 0.5)).toBe(false);
      }
      if (step % 500 === 0) {
        expect(list.size).toBe(model.length);
        expect(list.slice(0, model.length + 5)).toEqual(model);
        for (let k = 0; k < 20; k++) {
          const probe = Math.floor(random() * 5200) - 100 + 0.5 * Math.floor(random() * 2);
          expect(list.countLess(probe)).toBe(model.filter((m) => m < probe).length);
          const index = Math.floor(random() * (model.length + 2)) - 1;
          expect(list.at(index)).toBe(model[index]);
          expect(list.slice(index, 7)).toEqual(model.slice(Math.max(0, index), Math.max(0, index) + 7));
        }
      }
    }
    for (const key of [...model]) list.delete(key);
    expect(list.size).toBe(0);
    expect(list.slice(0, 5)).toEqual([]);
    list.insert(1);
    expect(list.slice(0, 5)).toEqual([1]);
  });
});
