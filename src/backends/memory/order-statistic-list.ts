// An order-statistic skiplist (Pugh's skiplist with a span on every link, as Redis's zskiplist):
// insert, delete, rank of any key (present or not) and access by rank, all in O(log N) expected.
// Keys must be totally ordered by `compare` and unique; the caller keeps the key → value lookup.

const MAX_LEVEL = 32;
/** Chance that a node reaches the next level; 1/4 as in Redis keeps nodes small (1.33 links on average). */
const LEVEL_P = 0.25;

interface Node<K> {
  key: K;
  /** next[i]: the following node on level i. */
  next: Array<Node<K> | undefined>;
  /** span[i]: how many level-0 steps next[i] jumps over (1 for a direct neighbour). */
  span: number[];
}

export class OrderStatisticList<K> {
  private readonly head: Node<K>;
  private level = 1;
  private count = 0;

  constructor(private readonly compare: (a: K, b: K) => number, private readonly random: () => number = Math.random) {
    this.head = { key: undefined as unknown as K, next: new Array(MAX_LEVEL).fill(undefined), span: new Array(MAX_LEVEL).fill(0) };
  }

  get size(): number {
    return this.count;
  }

  private randomLevel(): number {
    let level = 1;
    while (level < MAX_LEVEL && this.random() < LEVEL_P) level++;
    return level;
  }

  /** Inserts `key`, which must not be in the list yet. Returns its 0-based rank. */
  insert(key: K): number {
    const update = new Array<Node<K>>(MAX_LEVEL);
    const rank = new Array<number>(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : (rank[i + 1] as number);
      for (let n = x.next[i]; n !== undefined && this.compare(n.key, key) < 0; n = x.next[i]) {
        rank[i] = (rank[i] as number) + (x.span[i] as number);
        x = n;
      }
      update[i] = x;
    }
    const level = this.randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        this.head.span[i] = this.count;
      }
      this.level = level;
    }
    const node: Node<K> = { key, next: new Array(level), span: new Array(level) };
    const below = rank[0] as number;
    for (let i = 0; i < level; i++) {
      const prev = update[i] as Node<K>;
      node.next[i] = prev.next[i];
      prev.next[i] = node;
      // prev jumped prev.span[i] steps; the new node sits (below - rank[i]) + 1 steps after prev.
      node.span[i] = (prev.span[i] as number) - (below - (rank[i] as number));
      prev.span[i] = below - (rank[i] as number) + 1;
    }
    // Links above the new node's height now jump over one more node.
    for (let i = level; i < this.level; i++) (update[i] as Node<K>).span[i] = ((update[i] as Node<K>).span[i] as number) + 1;
    this.count++;
    return below;
  }

  /** Removes `key`; returns false if it was not there. */
  delete(key: K): boolean {
    const update = new Array<Node<K>>(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = x.next[i]; n !== undefined && this.compare(n.key, key) < 0; n = x.next[i]) x = n;
      update[i] = x;
    }
    const target = x.next[0];
    if (target === undefined || this.compare(target.key, key) !== 0) return false;
    for (let i = 0; i < this.level; i++) {
      const prev = update[i] as Node<K>;
      if (prev.next[i] === target) {
        prev.span[i] = (prev.span[i] as number) + (target.span[i] as number) - 1;
        prev.next[i] = target.next[i];
      } else {
        prev.span[i] = (prev.span[i] as number) - 1;
      }
    }
    while (this.level > 1 && this.head.next[this.level - 1] === undefined) this.level--;
    this.count--;
    return true;
  }

  /** How many keys are strictly less than `key` (its 0-based rank if present); `key` need not be in the list. */
  countLess(key: K): number {
    let rank = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = x.next[i]; n !== undefined && this.compare(n.key, key) < 0; n = x.next[i]) {
        rank += x.span[i] as number;
        x = n;
      }
    }
    return rank;
  }

  /** The node at 0-based rank `index`, found by walking spans. */
  private nodeAt(index: number): Node<K> | undefined {
    if (index < 0 || index >= this.count) return undefined;
    let traversed = 0;
    let x = this.head;
    const target = index + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== undefined && traversed + (x.span[i] as number) <= target) {
        traversed += x.span[i] as number;
        x = x.next[i] as Node<K>;
      }
      if (traversed === target) return x;
    }
    return undefined;
  }

  at(index: number): K | undefined {
    return this.nodeAt(index)?.key;
  }

  /** Up to `count` keys from 0-based rank `start` on, in order: O(log N + count). */
  slice(start: number, count: number): K[] {
    const out: K[] = [];
    if (count <= 0) return out;
    let node = this.nodeAt(Math.max(0, start));
    while (node !== undefined && out.length < count) {
      out.push(node.key);
      node = node.next[0];
    }
    return out;
  }

  clear(): void {
    this.head.next.fill(undefined);
    this.head.span.fill(0);
    this.level = 1;
    this.count = 0;
  }
}
