// The embedded sorted sets' B+tree against a sorted array: ranks, slices, loads, and inserts and deletes that split
// and merge leaves and inner nodes (enough entries that the tree grows three levels and shrinks back).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryTree } from '../../src/backends/memory/index.js';
import { compareEntries, type SortedSetEntry } from '../../src/backends/sorted-set-port.js';
import { seededRandom } from '../helpers/seeded-random.js';

/** The model: entries kept sorted in an array. */
class Model {
  readonly entries: SortedSetEntry[] = [];

  countLess(key: SortedSetEntry): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEntries(this.entries[mid] as SortedSetEntry, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(e: SortedSetEntry): number {
    const i = this.countLess(e);
    this.entries.splice(i, 0, e);
    return i;
  }

  delete(e: SortedSetEntry): boolean {
    const i = this.countLess(e);
    const found = this.entries[i];
    if (!found || compareEntries(found, e) !== 0) return false;
    this.entries.splice(i, 1);
    return true;
  }
}

const add = (tree: EntryTree, e: SortedSetEntry) => tree.insert(e.score, e.at, e.playerId);
const del = (tree: EntryTree, e: SortedSetEntry) => tree.delete(e.score, e.at, e.playerId);
const less = (tree: EntryTree, e: SortedSetEntry) => tree.countLess(e.score, e.at, e.playerId);

/** Entry lists compared field by field (toEqual over 100,000 objects takes seconds). */
function same(a: readonly SortedSetEntry[], b: readonly SortedSetEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => compareEntries(e, b[i] as SortedSetEntry) === 0);
}

/** Fails the test with the step's description when a tree answer differs from the model's. */
function agree<T>(tree: T, model: T, what: string): void {
  if (tree !== model) expect(tree, what).toBe(model);
}

function check(tree: EntryTree, model: Model, rnd: () => number): void {
  expect(tree.size).toBe(model.entries.length);
  expect(same(tree.slice(0, model.entries.length + 3), model.entries)).toBe(true);
  for (let k = 0; k < 30; k++) {
    const start = Math.floor(rnd() * (model.entries.length + 4)) - 2;
    const count = Math.floor(rnd() * 300);
    expect(tree.slice(start, count)).toEqual(model.entries.slice(Math.max(0, start), Math.max(0, start) + Math.max(0, count)));
    const probe = { score: Math.floor(rnd() * 40) - 2, at: Math.floor(rnd() * 6), playerId: `p${Math.floor(rnd() * 3000)}` };
    expect(less(tree, probe)).toBe(model.countLess(probe));
  }
}

/** Random entries on a narrow grid, so scores and times tie often and the id decides. */
function randomEntry(rnd: () => number, ids: number): SortedSetEntry {
  return { score: Math.floor(rnd() * 36), at: Math.floor(rnd() * 4), playerId: `p${Math.floor(rnd() * ids)}` };
}

describe('entry B+tree', () => {
  it('is empty at first and answers without errors', () => {
    const tree = new EntryTree();
    expect(tree.size).toBe(0);
    expect(tree.slice(0, 10)).toEqual([]);
    expect(tree.countLess(5, 0, 'a')).toBe(0);
    expect(tree.delete(5, 0, 'a')).toBe(false);
  });

  it('matches a sorted array while growing to some 14,000 entries and shrinking back to none', () => {
    const rnd = seededRandom(5);
    const tree = new EntryTree();
    const model = new Model();
    const present = new Map<string, SortedSetEntry>();
    // Grow (inserts win), churn, then drain (deletes win): splits of leaves and inner nodes, then merges and removals.
    for (const [steps, insertShare] of [[24_000, 0.8], [10_000, 0.5], [14_000, 0.3]] as const) {
      for (let step = 0; step < steps; step++) {
        const e = randomEntry(rnd, 60_000);
        const key = `${e.score}|${e.at}|${e.playerId}`;
        if (rnd() < insertShare && !present.has(key)) {
          agree(add(tree, e), model.insert(e), `insert at step ${step}`);
          present.set(key, e);
        } else if (present.size > 0) {
          const victim = present.has(key) ? e : (model.entries[Math.floor(rnd() * model.entries.length)] as SortedSetEntry);
          agree(del(tree, victim), true, `delete at step ${step}`);
          agree(model.delete(victim), true, 'model delete');
          present.delete(`${victim.score}|${victim.at}|${victim.playerId}`);
          agree(del(tree, victim), false, `second delete at step ${step}`);
        }
        if (step % 8000 === 0) check(tree, model, rnd);
      }
      check(tree, model, rnd);
    }
    expect(model.entries.length).toBeGreaterThan(0);
    for (const e of [...model.entries]) agree(del(tree, e), true, 'final delete');
    expect(tree.size).toBe(0);
    expect(tree.slice(0, 5)).toEqual([]);
    add(tree, { score: 1, at: 1, playerId: 'a' });
    expect(tree.slice(0, 5)).toEqual([{ score: 1, at: 1, playerId: 'a' }]);
  });

  it('loads sorted entries in one pass and then behaves as if they had been inserted', () => {
    const rnd = seededRandom(9);
    for (const n of [0, 1, 126, 127, 128, 129, 8001, 100_000]) {
      const unique = new Map<string, SortedSetEntry>();
      while (unique.size < n) {
        const e = { score: Math.floor(rnd() * 1e6), at: Math.floor(rnd() * 3), playerId: `p${Math.floor(rnd() * 1e9)}` };
        unique.set(`${e.score}|${e.at}|${e.playerId}`, e);
      }
      const sorted = [...unique.values()].sort(compareEntries);
      const tree = new EntryTree();
      tree.load(Float64Array.from(sorted, (e) => e.score), Float64Array.from(sorted, (e) => e.at), sorted.map((e) => e.playerId), sorted.map((_, i) => i));
      const model = new Model();
      for (const e of sorted) model.entries.push(e);
      check(tree, model, rnd);
      for (let k = 0; k < 3000; k++) {
        const e = { score: Math.floor(rnd() * 1e6), at: 0, playerId: `q${k}` };
        agree(add(tree, e), model.insert(e), `insert ${k} after loading ${n}`);
        if (model.entries.length > 0 && rnd() < 0.5) {
          const victim = model.entries[Math.floor(rnd() * model.entries.length)] as SortedSetEntry;
          agree(del(tree, victim), true, `delete ${k} after loading ${n}`);
          model.delete(victim);
        }
      }
      check(tree, model, rnd);
    }
  });

  it('agrees with the model on any sequence of inserts, deletes, ranks and slices (fast-check)', () => {
    const key = fc.record({ score: fc.integer({ min: -3, max: 3 }), at: fc.integer({ min: 0, max: 2 }), playerId: fc.constantFrom('a', 'b', 'ab', 'B', 'é', '') });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), key }),
      fc.record({ kind: fc.constant('delete' as const), key }),
      fc.record({ kind: fc.constant('many' as const), seed: fc.integer(), count: fc.integer({ min: 0, max: 400 }) }),
      fc.record({ kind: fc.constant('drain' as const), share: fc.double({ min: 0, max: 1, noNaN: true }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const tree = new EntryTree();
        const model = new Model();
        let n = 0;
        for (const o of ops) {
          if (o.kind === 'insert') {
            if (model.countLess(o.key) < model.entries.length && compareEntries(model.entries[model.countLess(o.key)] as SortedSetEntry, o.key) === 0) expect(del(tree, o.key)).toBe(model.delete(o.key));
            else expect(add(tree, o.key)).toBe(model.insert(o.key));
          } else if (o.kind === 'delete') {
            expect(del(tree, o.key)).toBe(model.delete(o.key));
          } else if (o.kind === 'many') {
            const rnd = seededRandom(o.seed);
            for (let k = 0; k < o.count; k++) {
              const e = { score: Math.floor(rnd() * 50), at: Math.floor(rnd() * 3), playerId: `m${n++}` };
              expect(add(tree, e)).toBe(model.insert(e));
            }
          } else {
            for (const e of model.entries.filter((_, i) => i % 10 < o.share * 10)) {
              expect(del(tree, e)).toBe(true);
              model.delete(e);
            }
          }
          expect(tree.size).toBe(model.entries.length);
        }
        expect(tree.slice(0, model.entries.length)).toEqual(model.entries);
        for (let i = -1; i <= model.entries.length; i += Math.max(1, Math.floor(model.entries.length / 20))) {
          expect(tree.slice(i, 3)).toEqual(model.entries.slice(Math.max(0, i), Math.max(0, i) + 3));
          const e = model.entries[Math.max(0, i)];
          if (e) expect(less(tree, e)).toBe(model.countLess(e));
        }
      }),
      { numRuns: 300, seed: 20261129 },
    );
  });
});
