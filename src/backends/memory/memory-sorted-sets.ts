// Embedded adapter of the sorted-set port: per set, a B+tree with counts for ranks and ranges plus a map from player
// to its score and time. It is what `npm start` uses without Redis; the durable copy in PGlite refills it after a
// restart (a set starts without its marker, so the first use rebuilds it).
import { RejectedError } from '../../errors.js';
import {
  compareEntries, MAX_SCORE, SetMissingError,
  type Neighbourhood, type PlacedEntry, type SortedSetEntry, type SortedSetStore, type SubmitOutcome, type SubmitRequest,
} from '../sorted-set-port.js';
import { EntryTree } from './entry-tree.js';

/**
 * One set: the tree orders the entries; each player's score and time sit in two Float64Arrays at a slot the map
 * gives (a number per player in the map rather than an entry object: a million entries took 285 MiB as objects and
 * skiplist nodes). The slot also keeps the player id the set first saw, and the tree gets that one: a submission's
 * own copy of the id string is not kept beside the map's.
 */
class MemorySet {
  readonly tree = new EntryTree();
  private slotOf = new Map<string, number>();
  private scores: Float64Array;
  private ats: Float64Array;
  private ids: string[] = [];
  /** Slots freed by removals, reused first. */
  private readonly free: number[] = [];
  private used = 0;

  constructor(capacity = 16) {
    this.scores = new Float64Array(capacity);
    this.ats = new Float64Array(capacity);
  }

  get size(): number {
    return this.tree.size;
  }

  get(playerId: string): SortedSetEntry | undefined {
    const slot = this.slotOf.get(playerId);
    return slot === undefined ? undefined : { playerId, score: this.scores[slot] as number, at: this.ats[slot] as number };
  }

  /** Puts the player's entry (replacing its present one); returns its 0-based position. */
  put(entry: SortedSetEntry): number {
    let slot = this.slotOf.get(entry.playerId);
    if (slot !== undefined) this.tree.delete(this.scores[slot] as number, this.ats[slot] as number, entry.playerId);
    else {
      slot = this.free.pop() ?? this.grow();
      this.slotOf.set(entry.playerId, slot);
      this.ids[slot] = entry.playerId;
    }
    this.scores[slot] = entry.score;
    this.ats[slot] = entry.at;
    return this.tree.insert(entry.score, entry.at, this.ids[slot] as string);
  }

  remove(playerId: string): void {
    const slot = this.slotOf.get(playerId);
    if (slot === undefined) return;
    this.tree.delete(this.scores[slot] as number, this.ats[slot] as number, playerId);
    this.slotOf.delete(playerId);
    this.ids[slot] = '';
    this.free.push(slot);
  }

  countLess(key: SortedSetEntry): number {
    return this.tree.countLess(key.score, key.at, key.playerId);
  }

  private grow(): number {
    if (this.used === this.scores.length) {
      const capacity = Math.ceil(this.scores.length * 1.5) + 16;
      const scores = new Float64Array(capacity);
      const ats = new Float64Array(capacity);
      scores.set(this.scores);
      ats.set(this.ats);
      this.scores = scores;
      this.ats = ats;
    }
    return this.used++;
  }

  /** A set of these entries (a later entry of a player replaces an earlier one), built in one pass. */
  static of(entries: Iterable<SortedSetEntry>): MemorySet {
    const ids: string[] = [];
    const scores: number[] = [];
    const ats: number[] = [];
    const slotOf = new Map<string, number>();
    for (const e of entries) {
      const slot = slotOf.get(e.playerId);
      if (slot === undefined) {
        slotOf.set(e.playerId, ids.length);
        ids.push(e.playerId);
        scores.push(e.score + 0);
        ats.push(e.at);
      } else {
        scores[slot] = e.score + 0;
        ats[slot] = e.at;
      }
    }
    const set = new MemorySet(ids.length);
    set.scores.set(scores);
    set.ats.set(ats);
    set.used = ids.length;
    set.slotOf = slotOf;
    set.ids = ids;
    const s = set.scores;
    const a = set.ats;
    const order = Array.from({ length: ids.length }, (_, i) => i);
    order.sort((x, y) => {
      const sx = s[x] as number;
      const sy = s[y] as number;
      if (sx !== sy) return sx < sy ? -1 : 1;
      const ax = a[x] as number;
      const ay = a[y] as number;
      if (ax !== ay) return ax < ay ? -1 : 1;
      return (ids[x] as string) < (ids[y] as string) ? -1 : 1;
    });
    set.tree.load(s, a, ids, order);
    return set;
  }
}

function outOfRange(score: number): never {
  throw new RejectedError(`the score would be ${score > 0 ? 'above 2^53−1' : 'below −(2^53−1)'}`);
}

/** Combines the player's entry here with one carried from another set (see SubmitRequest.carry). */
function combine(present: SortedSetEntry | undefined, carry: SortedSetEntry | undefined, op: SubmitRequest['op']): SortedSetEntry | undefined {
  if (!present || !carry) return present ?? carry;
  if (op === 'min') return compareEntries(carry, present) < 0 ? carry : present;
  if (op === 'add') {
    const score = present.score + carry.score;
    if (Math.abs(score) > MAX_SCORE) outOfRange(score);
    return { playerId: present.playerId, score, at: present.at };
  }
  return present;
}

export class MemorySortedSets implements SortedSetStore {
  readonly label = 'in-process sorted sets';
  private readonly sets = new Map<string, MemorySet>();
  /** Restores of one set run one after the other. */
  private readonly restoring = new Map<string, Promise<unknown>>();

  private get(set: string): MemorySet {
    const s = this.sets.get(set);
    if (!s) throw new SetMissingError(set);
    return s;
  }

  async submit(set: string, playerId: string, request: SubmitRequest): Promise<SubmitOutcome | undefined> {
    const s = this.get(set);
    const present = s.get(playerId);
    if (!present && request.onlyIfPresent) return undefined;
    const base = combine(present, request.carry && { ...request.carry, playerId }, request.op);
    let score: number;
    if (request.op === 'set') score = request.value;
    else if (request.op === 'min') score = base ? Math.min(base.score, request.value) : request.value;
    else {
      score = (base?.score ?? 0) + request.value;
      if (Math.abs(score) > MAX_SCORE) outOfRange(score);
    }
    const changed = !base || score !== base.score;
    const entry: SortedSetEntry = { playerId, score: score + 0, at: changed || !base ? request.at : base.at };
    const position = !present || compareEntries(present, entry) !== 0 ? s.put(entry) : s.countLess(entry);
    return { entry: { ...entry, position }, changed };
  }

  async take(set: string, playerId: string): Promise<SortedSetEntry | undefined> {
    const s = this.get(set);
    const present = s.get(playerId);
    if (!present) return undefined;
    s.remove(playerId);
    return present;
  }

  async find(set: string, playerId: string): Promise<PlacedEntry | undefined> {
    const s = this.get(set);
    const present = s.get(playerId);
    return present && { ...present, position: s.countLess(present) };
  }

  async range(set: string, start: number, count: number): Promise<SortedSetEntry[]> {
    return this.get(set).tree.slice(start, count);
  }

  async neighbourhood(set: string, key: SortedSetEntry, above: number, below: number): Promise<Neighbourhood> {
    const s = this.get(set);
    const ahead = s.countLess(key);
    const present = s.get(key.playerId);
    const self = present !== undefined && compareEntries(present, key) === 0 ? 1 : 0;
    const from = Math.max(0, ahead - above);
    return {
      ahead,
      above: s.tree.slice(from, ahead - from),
      below: s.tree.slice(ahead + self, below),
    };
  }

  async restore(set: string, load: () => Promise<Iterable<SortedSetEntry>>, options: { force: boolean }): Promise<number | undefined> {
    const previous = this.restoring.get(set) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(async () => {
      if (!options.force && this.sets.has(set)) return undefined;
      this.sets.delete(set);
      const fresh = MemorySet.of(await load());
      this.sets.set(set, fresh);
      return fresh.size;
    });
    this.restoring.set(set, run);
    try {
      return await run;
    } finally {
      if (this.restoring.get(set) === run) this.restoring.delete(set);
    }
  }

  async exists(set: string): Promise<boolean> {
    return this.sets.has(set);
  }

  async drop(set: string): Promise<void> {
    this.sets.delete(set);
  }

  async ping(): Promise<void> {}
}
