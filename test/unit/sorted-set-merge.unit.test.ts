// The k-way merge behind global top N and around-me.
import { describe, expect, it } from 'vitest';
import { compareEntries, type SortedSetEntry } from '../../src/backends/sorted-set-port.js';
import { mergeFirst, mergeLast } from '../../src/backends/sorted-set-merge.js';

const e = (playerId: string, score: number, at = 0): SortedSetEntry => ({ playerId, score, at });

describe('region merge', () => {
  it('merges sorted lists, ties by time then id, and copes with short and empty lists', () => {
    const eu = [e('a', 1, 5), e('b', 3), e('c', 9)];
    const na = [e('d', 1, 2), e('f', 3, 0)];
    const asia: SortedSetEntry[] = [];
    const all = [...eu, ...na].sort(compareEntries);
    expect(mergeFirst([eu, na, asia], 3)).toEqual(all.slice(0, 3));
    expect(mergeFirst([eu, na, asia], 100)).toEqual(all);
    expect(mergeFirst([], 10)).toEqual([]);
    expect(mergeFirst([asia, asia], 10)).toEqual([]);
    expect(mergeFirst([eu], 0)).toEqual([]);
    expect(mergeLast([eu, na, asia], 2)).toEqual(all.slice(-2));
    expect(mergeLast([eu, na], 100)).toEqual(all);
    expect(mergeLast([asia], 3)).toEqual([]);
  });
});
