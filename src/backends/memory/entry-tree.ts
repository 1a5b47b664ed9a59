// The ranked entries of one in-process sorted set: a B+tree with the number of entries under each child of an inner
// node (so rank and access by rank are O(log N)), whose leaves keep up to 128 entries in parallel arrays (scores and
// times in one Float64Array, player ids in a plain array) instead of an object per entry and per skiplist node.
// Order: score, then time, then player id by UTF-16 code units (compareEntries of the port).
import type { SortedSetEntry } from '../sorted-set-port.js';

/** Entries per leaf. 128 keeps a leaf's binary search short and its fixed costs (three objects) under 4 bytes an entry. */
const LEAF_CAP = 128;
/** Children per inner node. */
const INNER_CAP = 64;
/** A leaf this empty after a delete merges into a sibling that has room, so deletes cannot leave the tree sparse. */
const LEAF_MERGE_BELOW = LEAF_CAP / 4;

function compareKey(s1: number, a1: number, p1: string, s2: number, a2: number, p2: string): number {
  if (s1 !== s2) return s1 < s2 ? -1 : 1;
  if (a1 !== a2) return a1 < a2 ? -1 : 1;
  return p1 < p2 ? -1 : p1 > p2 ? 1 : 0;
}

class Leaf {
  n = 0;
  /** scores in [0, LEAF_CAP), times in [LEAF_CAP, 2 * LEAF_CAP). */
  readonly nums = new Float64Array(2 * LEAF_CAP);
  readonly ids: string[] = new Array<string>(LEAF_CAP).fill('');
  prev: Leaf | null = null;
  next: Leaf | null = null;

  /** Entries of this leaf strictly before the key: binary search. */
  lowerBound(score: number, at: number, playerId: string): number {
    const { nums, ids } = this;
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKey(nums[mid] as number, nums[LEAF_CAP + mid] as number, ids[mid] as string, score, at, playerId) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  entry(i: number): SortedSetEntry {
    return { playerId: this.ids[i] as string, score: this.nums[i] as number, at: this.nums[LEAF_CAP + i] as number };
  }
}

/**
 * Child i > 0 holds keys ≥ its separator, and child i − 1 keys below it (separators are routing keys: a delete leaves
 * them in place, still valid bounds).
 */
class Inner {
  n = 0;
  readonly children: Array<Leaf | Inner> = [];
  /** Entries under each child. */
  readonly counts = new Float64Array(INNER_CAP);
  /** Separator scores in [0, INNER_CAP), times in [INNER_CAP, 2 * INNER_CAP); index 0 unused. */
  readonly seps = new Float64Array(2 * INNER_CAP);
  readonly sepIds: string[] = new Array<string>(INNER_CAP).fill('');

  /** The child whose range holds the key: the last one whose separator is ≤ the key. */
  childFor(score: number, at: number, playerId: string): number {
    const { seps, sepIds } = this;
    let lo = 1;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKey(seps[mid] as number, seps[INNER_CAP + mid] as number, sepIds[mid] as string, score, at, playerId) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Puts `child` at index i, with the separator (its lowest key) and its count. */
  insertChild(i: number, child: Leaf | Inner, count: number, score: number, at: number, playerId: string): void {
    const { seps, sepIds, counts } = this;
    this.children.splice(i, 0, child);
    for (let k = this.n; k > i; k--) {
      counts[k] = counts[k - 1] as number;
      seps[k] = seps[k - 1] as number;
      seps[INNER_CAP + k] = seps[INNER_CAP + k - 1] as number;
      sepIds[k] = sepIds[k - 1] as string;
    }
    counts[i] = count;
    seps[i] = score;
    seps[INNER_CAP + i] = at;
    sepIds[i] = playerId;
    this.n++;
  }

  removeChild(i: number): void {
    const { seps, sepIds, counts } = this;
    this.children.splice(i, 1);
    for (let k = i; k < this.n - 1; k++) {
      counts[k] = counts[k + 1] as number;
      seps[k] = seps[k + 1] as number;
      seps[INNER_CAP + k] = seps[INNER_CAP + k + 1] as number;
      sepIds[k] = sepIds[k + 1] as string;
    }
    this.n--;
    sepIds[this.n] = '';
  }
}

/** The path of a descent: inner nodes and the child taken in each, root first. */
interface Path {
  nodes: Inner[];
  slots: number[];
}

export class EntryTree {
  private root: Leaf | Inner = new Leaf();
  private count = 0;
  private first: Leaf;
  private readonly path: Path = { nodes: [], slots: [] };

  constructor() {
    this.first = this.root as Leaf;
  }

  get size(): number {
    return this.count;
  }

  /** Walks from the root to the leaf whose range holds the key, recording the path. */
  private descend(score: number, at: number, playerId: string): Leaf {
    const { nodes, slots } = this.path;
    nodes.length = 0;
    slots.length = 0;
    let node = this.root;
    while (node instanceof Inner) {
      const c = node.childFor(score, at, playerId);
      nodes.push(node);
      slots.push(c);
      node = node.children[c] as Leaf | Inner;
    }
    return node;
  }

  /** Inserts the entry, which must not be in the tree yet. Returns its 0-based rank. */
  insert(score: number, at: number, playerId: string): number {
    const leaf = this.descend(score, at, playerId);
    const { nodes, slots } = this.path;
    const i = leaf.lowerBound(score, at, playerId);
    let rank = i;
    for (let d = 0; d < nodes.length; d++) {
      const node = nodes[d] as Inner;
      const c = slots[d] as number;
      for (let k = 0; k < c; k++) rank += node.counts[k] as number;
      node.counts[c] = (node.counts[c] as number) + 1;
    }
    const { nums, ids } = leaf;
    nums.copyWithin(i + 1, i, leaf.n);
    nums.copyWithin(LEAF_CAP + i + 1, LEAF_CAP + i, LEAF_CAP + leaf.n);
    for (let k = leaf.n; k > i; k--) ids[k] = ids[k - 1] as string;
    nums[i] = score;
    nums[LEAF_CAP + i] = at;
    ids[i] = playerId;
    leaf.n++;
    this.count++;
    if (leaf.n === LEAF_CAP) this.splitLeaf(leaf);
    return rank;
  }

  /** Splits a full leaf in two halves and hangs the right half beside it (splitting parents as needed). */
  private splitLeaf(leaf: Leaf): void {
    const right = new Leaf();
    const half = LEAF_CAP >>> 1;
    const moved = leaf.n - half;
    right.nums.set(leaf.nums.subarray(half, leaf.n), 0);
    right.nums.set(leaf.nums.subarray(LEAF_CAP + half, LEAF_CAP + leaf.n), LEAF_CAP);
    for (let k = 0; k < moved; k++) {
      right.ids[k] = leaf.ids[half + k] as string;
      leaf.ids[half + k] = '';
    }
    right.n = moved;
    leaf.n = half;
    right.next = leaf.next;
    if (right.next) right.next.prev = right;
    right.prev = leaf;
    leaf.next = right;
    this.hang(leaf, right, half, moved, right.nums[0] as number, right.nums[LEAF_CAP] as number, right.ids[0] as string);
  }

  /**
   * After `left` (at the end of the recorded path) split off `right`: puts right beside it in the parent with the
   * right's lowest key as separator, splitting full parents up to a new root.
   */
  private hang(left: Leaf | Inner, right: Leaf | Inner, leftCount: number, rightCount: number, score: number, at: number, playerId: string): void {
    const { nodes, slots } = this.path;
    let depth = nodes.length - 1;
    let l = left;
    let r = right;
    let lc = leftCount;
    let rc = rightCount;
    let s = score;
    let a = at;
    let p = playerId;
    for (;;) {
      if (depth < 0) {
        const root = new Inner();
        root.insertChild(0, l, lc, 0, 0, '');
        root.insertChild(1, r, rc, s, a, p);
        this.root = root;
        return;
      }
      const parent = nodes[depth] as Inner;
      const c = slots[depth] as number;
      parent.counts[c] = lc;
      parent.insertChild(c + 1, r, rc, s, a, p);
      if (parent.n < INNER_CAP) return;
      // Split the parent: children [half, n) move to a new inner node whose lowest key is separator[half].
      const half = INNER_CAP >>> 1;
      const sib = new Inner();
      let sibCount = 0;
      for (let k = half; k < parent.n; k++) {
        const cnt = parent.counts[k] as number;
        sib.insertChild(k - half, parent.children[k] as Leaf | Inner, cnt, parent.seps[k] as number, parent.seps[INNER_CAP + k] as number, parent.sepIds[k] as string);
        sibCount += cnt;
      }
      const sepScore = parent.seps[half] as number;
      const sepAt = parent.seps[INNER_CAP + half] as number;
      const sepId = parent.sepIds[half] as string;
      for (let k = half; k < parent.n; k++) parent.sepIds[k] = '';
      parent.children.length = half;
      parent.n = half;
      let parentCount = 0;
      for (let k = 0; k < half; k++) parentCount += parent.counts[k] as number;
      l = parent;
      r = sib;
      lc = parentCount;
      rc = sibCount;
      s = sepScore;
      a = sepAt;
      p = sepId;
      depth--;
    }
  }

  /** Removes the entry; false if it was not there. */
  delete(score: number, at: number, playerId: string): boolean {
    const leaf = this.descend(score, at, playerId);
    const i = leaf.lowerBound(score, at, playerId);
    if (i >= leaf.n || compareKey(leaf.nums[i] as number, leaf.nums[LEAF_CAP + i] as number, leaf.ids[i] as string, score, at, playerId) !== 0) return false;
    const { nodes, slots } = this.path;
    for (let d = 0; d < nodes.length; d++) {
      const node = nodes[d] as Inner;
      const c = slots[d] as number;
      node.counts[c] = (node.counts[c] as number) - 1;
    }
    const { nums, ids } = leaf;
    nums.copyWithin(i, i + 1, leaf.n);
    nums.copyWithin(LEAF_CAP + i, LEAF_CAP + i + 1, LEAF_CAP + leaf.n);
    for (let k = i; k < leaf.n - 1; k++) ids[k] = ids[k + 1] as string;
    leaf.n--;
    ids[leaf.n] = '';
    this.count--;
    if (leaf.n < LEAF_MERGE_BELOW) this.shrink(leaf);
    return true;
  }

  /** A leaf left nearly empty: gone when empty, else merged with a sibling under the same parent when both fit. */
  private shrink(leaf: Leaf): void {
    const { nodes, slots } = this.path;
    if (nodes.length === 0) return;
    const parent = nodes[nodes.length - 1] as Inner;
    const c = slots[slots.length - 1] as number;
    if (leaf.n === 0) {
      this.unlinkLeaf(leaf);
      this.removeFromParent(nodes.length - 1, c);
      return;
    }
    // Merge the right one of a pair into the left one, when the pair fits in three quarters of a leaf.
    const pairAt = c + 1 < parent.n ? c : c - 1;
    if (pairAt < 0) return;
    const left = parent.children[pairAt] as Leaf;
    const right = parent.children[pairAt + 1] as Leaf;
    if (left.n + right.n > (LEAF_CAP * 3) / 4) return;
    left.nums.set(right.nums.subarray(0, right.n), left.n);
    left.nums.set(right.nums.subarray(LEAF_CAP, LEAF_CAP + right.n), LEAF_CAP + left.n);
    for (let k = 0; k < right.n; k++) left.ids[left.n + k] = right.ids[k] as string;
    left.n += right.n;
    parent.counts[pairAt] = (parent.counts[pairAt] as number) + (parent.counts[pairAt + 1] as number);
    this.unlinkLeaf(right);
    this.removeFromParent(nodes.length - 1, pairAt + 1);
  }

  private unlinkLeaf(leaf: Leaf): void {
    if (leaf.prev) leaf.prev.next = leaf.next;
    else if (leaf.next) this.first = leaf.next;
    if (leaf.next) leaf.next.prev = leaf.prev;
  }

  /** Removes child c of the path's node at `depth`; an emptied node goes too, and a root with one child steps down. */
  private removeFromParent(depth: number, c: number): void {
    const { nodes, slots } = this.path;
    let d = depth;
    let child = c;
    for (;;) {
      const node = nodes[d] as Inner;
      node.removeChild(child);
      if (node.n > 0 || d === 0) break;
      child = slots[d - 1] as number;
      d--;
    }
    while (this.root instanceof Inner && this.root.n === 1) this.root = this.root.children[0] as Leaf | Inner;
    if (this.root instanceof Inner && this.root.n === 0) {
      const leaf = new Leaf();
      this.root = leaf;
      this.first = leaf;
    }
  }

  /** How many entries are strictly before the key; the key need not be in the tree. */
  countLess(score: number, at: number, playerId: string): number {
    let rank = 0;
    let node = this.root;
    while (node instanceof Inner) {
      const c = node.childFor(score, at, playerId);
      for (let k = 0; k < c; k++) rank += node.counts[k] as number;
      node = node.children[c] as Leaf | Inner;
    }
    return rank + node.lowerBound(score, at, playerId);
  }

  /** Up to `count` entries from 0-based rank `start` on, in order: O(log N + count). */
  slice(start: number, count: number): SortedSetEntry[] {
    const out: SortedSetEntry[] = [];
    if (count <= 0 || start >= this.count) return out;
    let index = Math.max(0, start);
    let node = this.root;
    while (node instanceof Inner) {
      let c = 0;
      while (c < node.n - 1 && index >= (node.counts[c] as number)) {
        index -= node.counts[c] as number;
        c++;
      }
      node = node.children[c] as Leaf | Inner;
    }
    let leaf: Leaf | null = node;
    while (leaf && out.length < count) {
      for (; index < leaf.n && out.length < count; index++) out.push(leaf.entry(index));
      leaf = leaf.next;
      index = 0;
    }
    return out;
  }

  /**
   * Replaces the content with entries already in order and without repeats (a restore): leaves are filled to the
   * brim and the inner levels built over them, instead of a million inserts.
   */
  load(scores: Float64Array, ats: Float64Array, ids: readonly string[], order: ArrayLike<number>): void {
    const n = order.length;
    let level: Array<Leaf | Inner> = [];
    let counts: number[] = [];
    let prev: Leaf | null = null;
    for (let start = 0; start < n || level.length === 0; start += LEAF_CAP - 1) {
      const leaf = new Leaf();
      // LEAF_CAP − 1 is the most a leaf holds between calls (it splits when an insert fills it).
      const end = Math.min(n, start + LEAF_CAP - 1);
      for (let k = start; k < end; k++) {
        const j = order[k] as number;
        leaf.nums[k - start] = scores[j] as number;
        leaf.nums[LEAF_CAP + k - start] = ats[j] as number;
        leaf.ids[k - start] = ids[j] as string;
      }
      leaf.n = end - start;
      leaf.prev = prev;
      if (prev) prev.next = leaf;
      prev = leaf;
      level.push(leaf);
      counts.push(leaf.n);
      if (end >= n) break;
    }
    this.first = level[0] as Leaf;
    while (level.length > 1) {
      const up: Inner[] = [];
      const upCounts: number[] = [];
      for (let start = 0; start < level.length; start += INNER_CAP - 1) {
        const inner = new Inner();
        let total = 0;
        for (let k = start; k < Math.min(level.length, start + INNER_CAP - 1); k++) {
          const child = level[k] as Leaf | Inner;
          const low = lowest(child);
          inner.insertChild(k - start, child, counts[k] as number, low.score, low.at, low.playerId);
          total += counts[k] as number;
        }
        inner.seps[0] = 0;
        inner.seps[INNER_CAP] = 0;
        inner.sepIds[0] = '';
        up.push(inner);
        upCounts.push(total);
      }
      level = up;
      counts = upCounts;
    }
    this.root = level[0] as Leaf | Inner;
    this.count = n;
  }
}

/** The lowest key under a node. */
function lowest(node: Leaf | Inner): SortedSetEntry {
  let x = node;
  while (x instanceof Inner) x = x.children[0] as Leaf | Inner;
  return x.entry(0);
}
