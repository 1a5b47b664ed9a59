// Embedded adapter of the sorted-set port: per set, an order-statistic skiplist for ranks and ranges plus a map
// from player to entry. It is what `npm start` uses without Redis; the durable copy in PGlite refills it after a restart
// (a set starts without its marker, so the first use rebuilds it).
import { RejectedError } from '../../errors.js';
import {
  compareEntries, MAX_SCORE, SetMissingError,
  type Neighbourhood, type PlacedEntry, type SortedSetEntry, type SortedSetStore, type SubmitOutcome, type SubmitRequest,
} from '../sorted-set-port.js';
import { OrderStatisticList } from './order-statistic-list.js';

interface MemorySet {
  list: OrderStatisticList<SortedSetEntry>;
  byPlayer: Map<string, SortedSetEntry>;
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
    const present = s.byPlayer.get(playerId);
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
    if (!present || compareEntries(present, entry) !== 0) {
      if (present) s.list.delete(present);
      s.list.insert(entry);
      s.byPlayer.set(playerId, entry);
    }
    return { entry: { ...entry, position: s.list.countLess(entry) }, changed };
  }

  async take(set: string, playerId: string): Promise<SortedSetEntry | undefined> {
    const s = this.get(set);
    const present = s.byPlayer.get(playerId);
    if (!present) return undefined;
    s.list.delete(present);
    s.byPlayer.delete(playerId);
    return { ...present };
  }

  async find(set: string, playerId: string): Promise<PlacedEntry | undefined> {
    const s = this.get(set);
    const present = s.byPlayer.get(playerId);
    return present && { ...present, position: s.list.countLess(present) };
  }

  async range(set: string, start: number, count: number): Promise<SortedSetEntry[]> {
    return this.get(set).list.slice(start, count).map((e) => ({ ...e }));
  }

  async neighbourhood(set: string, key: SortedSetEntry, above: number, below: number): Promise<Neighbourhood> {
    const s = this.get(set);
    const ahead = s.list.countLess(key);
    const present = s.byPlayer.get(key.playerId);
    const self = present !== undefined && compareEntries(present, key) === 0 ? 1 : 0;
    const from = Math.max(0, ahead - above);
    return {
      ahead,
      above: s.list.slice(from, ahead - from).map((e) => ({ ...e })),
      below: s.list.slice(ahead + self, below).map((e) => ({ ...e })),
    };
  }

  async restore(set: string, load: () => Promise<Iterable<SortedSetEntry>>, options: { force: boolean }): Promise<number | undefined> {
    const previous = this.restoring.get(set) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(async () => {
      if (!options.force && this.sets.has(set)) return undefined;
      this.sets.delete(set);
      const fresh: MemorySet = { list: new OrderStatisticList(compareEntries), byPlayer: new Map() };
      for (const e of await load()) {
        const entry = { playerId: e.playerId, score: e.score + 0, at: e.at };
        const old = fresh.byPlayer.get(entry.playerId);
        if (old) fresh.list.delete(old);
        fresh.list.insert(entry);
        fresh.byPlayer.set(entry.playerId, entry);
      }
      this.sets.set(set, fresh);
      return fresh.list.size;
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
