// Several sorted sets read as one (the global view of a regional board): a k-way merge of lists in rank order.
import { compareEntries, type SortedSetEntry } from './sorted-set-port.js';

/** The first `limit` entries of the union of `lists`, each already in rank order: O(limit × k). */
export function mergeFirst(lists: ReadonlyArray<readonly SortedSetEntry[]>, limit: number): SortedSetEntry[] {
  const heads = lists.map(() => 0);
  const out: SortedSetEntry[] = [];
  while (out.length < limit) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const candidate = (lists[i] as readonly SortedSetEntry[])[heads[i] as number];
      if (candidate === undefined) continue;
      if (best < 0 || compareEntries(candidate, (lists[best] as readonly SortedSetEntry[])[heads[best] as number] as SortedSetEntry) < 0) best = i;
    }
    if (best < 0) break;
    out.push((lists[best] as readonly SortedSetEntry[])[heads[best] as number] as SortedSetEntry);
    heads[best] = (heads[best] as number) + 1;
  }
  return out;
}

/** The last `limit` entries of the union of `lists` (each in rank order), in rank order. */
export function mergeLast(lists: ReadonlyArray<readonly SortedSetEntry[]>, limit: number): SortedSetEntry[] {
  const reversed = lists.map((l) => [...l].reverse());
  const heads = reversed.map(() => 0);
  const out: SortedSetEntry[] = [];
  while (out.length < limit) {
    let best = -1;
    for (let i = 0; i < reversed.length; i++) {
      const candidate = (reversed[i] as SortedSetEntry[])[heads[i] as number];
      if (candidate === undefined) continue;
      if (best < 0 || compareEntries(candidate, (reversed[best] as SortedSetEntry[])[heads[best] as number] as SortedSetEntry) > 0) best = i;
    }
    if (best < 0) break;
    out.push((reversed[best] as SortedSetEntry[])[heads[best] as number] as SortedSetEntry);
    heads[best] = (heads[best] as number) + 1;
  }
  return out.reverse();
}
