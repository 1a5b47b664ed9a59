// The sorted-set port contract: the Redis adapter (Lua scripts) and the in-process B+tree answer every call the same,
// and the Redis adapter does on a 3-master Redis Cluster of the test's own, with sets spread over every master.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySortedSets } from '../../src/backends/memory/index.js';
import { RedisSortedSets } from '../../src/backends/redis/index.js';
import {
  compareEntries, isSetMissing, MAX_SCORE, type ScoreOp, type SortedSetEntry, type SortedSetStore,
} from '../../src/backends/sorted-set-port.js';
import { RejectedError } from '../../src/errors.js';
import { openTestRedis, type TestRedis } from '../helpers/redis.js';
import { deleteClusterKeys, keySlot, PrivateRedisCluster } from '../helpers/redis-cluster.js';
import { seededRandom as rng } from '../helpers/seeded-random.js';

type Kind = 'memory' | 'redis' | 'redis-cluster';
const KINDS: readonly Kind[] = ['memory', 'redis', 'redis-cluster'];


describe.each(KINDS)('sorted-set port on %s', (kind) => {
  let store: SortedSetStore;
  let redis: TestRedis | undefined;
  let cluster: PrivateRedisCluster | undefined;
  let closeCluster: (() => Promise<void>) | undefined;
  let n = 0;
  /** A fresh, restored (empty) set per test. */
  const fresh = async () => {
    const set = `set-${++n}`;
    await store.restore(set, async () => [], { force: true });
    return set;
  };

  beforeAll(async () => {
    if (kind === 'redis') {
      redis = await openTestRedis();
      store = new RedisSortedSets(redis.client, { keyPrefix: redis.prefix, restoreChunk: 7 });
    } else if (kind === 'redis-cluster') {
      cluster = await new PrivateRedisCluster().start();
      const client = await cluster.client();
      const prefix = 'contract:';
      store = new RedisSortedSets(client, { keyPrefix: prefix, restoreChunk: 7 });
      closeCluster = async () => {
        await deleteClusterKeys(cluster as PrivateRedisCluster, prefix);
        client.disconnect();
      };
    } else {
      store = new MemorySortedSets();
    }
  });
  afterAll(async () => {
    await redis?.cleanup();
    await closeCluster?.();
    await cluster?.stop();
  });

  it.runIf(kind === 'redis-cluster')('spreads the sets of this suite over every master of the cluster', async () => {
    const c = cluster as PrivateRedisCluster;
    const topology = await c.topology();
    const owners = new Set<number>();
    for (let i = 1; i <= 12; i++) {
      const slot = keySlot(`contract:lb:{set-${i}}:z`);
      owners.add(topology.findIndex((node) => node.slots.some(([a, b]) => slot >= a && slot <= b)));
    }
    expect(owners).toEqual(new Set([0, 1, 2]));
  });

  it('refuses every operation on a set without its marker, until it is restored', async () => {
    const set = `never-restored-${++n}`;
    expect(await store.exists(set)).toBe(false);
    const calls: Array<() => Promise<unknown>> = [
      () => store.submit(set, 'p', { op: 'set', value: 1, at: 1 }),
      () => store.take(set, 'p'),
      () => store.find(set, 'p'),
      () => store.range(set, 0, 10),
      () => store.neighbourhood(set, { playerId: 'p', score: 0, at: 0 }, 1, 1),
    ];
    for (const call of calls) await expect(call()).rejects.toSatisfy(isSetMissing);
    expect(await store.restore(set, async () => [], { force: false })).toBe(0);
    expect(await store.exists(set)).toBe(true);
    expect(await store.range(set, 0, 10)).toEqual([]);
    expect(await store.find(set, 'p')).toBeUndefined();
    expect(await store.neighbourhood(set, { playerId: 'p', score: 0, at: 0 }, 5, 5)).toEqual({ ahead: 0, above: [], below: [] });
    await store.drop(set);
    expect(await store.exists(set)).toBe(false);
    await expect(store.range(set, 0, 1)).rejects.toSatisfy(isSetMissing);
  });

  it('applies min, set and add; an unchanged score keeps its time', async () => {
    const set = await fresh();
    expect(await store.submit(set, 'a', { op: 'min', value: 50, at: 10 })).toEqual({ entry: { playerId: 'a', score: 50, at: 10, position: 0 }, changed: true });
    expect(await store.submit(set, 'a', { op: 'min', value: 70, at: 11 })).toEqual({ entry: { playerId: 'a', score: 50, at: 10, position: 0 }, changed: false });
    expect(await store.submit(set, 'a', { op: 'min', value: 50, at: 12 })).toEqual({ entry: { playerId: 'a', score: 50, at: 10, position: 0 }, changed: false });
    expect(await store.submit(set, 'a', { op: 'min', value: 20, at: 13 })).toMatchObject({ entry: { score: 20, at: 13 }, changed: true });
    expect(await store.submit(set, 'a', { op: 'set', value: 20, at: 14 })).toMatchObject({ entry: { score: 20, at: 13 }, changed: false });
    expect(await store.submit(set, 'a', { op: 'set', value: 90, at: 15 })).toMatchObject({ entry: { score: 90, at: 15 }, changed: true });
    expect(await store.submit(set, 'a', { op: 'add', value: 0, at: 16 })).toMatchObject({ entry: { score: 90, at: 15 }, changed: false });
    expect(await store.submit(set, 'a', { op: 'add', value: -100, at: 17 })).toMatchObject({ entry: { score: -10, at: 17 }, changed: true });
    expect(await store.submit(set, 'b', { op: 'add', value: 5, at: 18 })).toMatchObject({ entry: { playerId: 'b', score: 5, at: 18, position: 1 }, changed: true });
    expect(await store.range(set, 0, 10)).toEqual([
      { playerId: 'a', score: -10, at: 17 },
      { playerId: 'b', score: 5, at: 18 },
    ]);
  });

  it('orders equal scores by time, then by player id bytes; positions are unique', async () => {
    const set = await fresh();
    await store.submit(set, 'late', { op: 'set', value: 7, at: 300 });
    await store.submit(set, 'early', { op: 'set', value: 7, at: 100 });
    await store.submit(set, 'b', { op: 'set', value: 7, at: 200 });
    await store.submit(set, 'B', { op: 'set', value: 7, at: 200 });
    await store.submit(set, 'a.', { op: 'set', value: 7, at: 200 });
    await store.submit(set, 'a', { op: 'set', value: 7, at: 200 });
    await store.submit(set, 'best', { op: 'set', value: 6, at: 999 });
    const order = (await store.range(set, 0, 100)).map((e) => e.playerId);
    expect(order).toEqual(['best', 'early', 'B', 'a', 'a.', 'b', 'late']);
    for (const [i, id] of order.entries()) expect((await store.find(set, id))?.position).toBe(i);
    expect(await store.range(set, 2, 3)).toEqual((await store.range(set, 0, 100)).slice(2, 5));
    expect(await store.range(set, 6, 10)).toHaveLength(1);
    expect(await store.range(set, 7, 10)).toEqual([]);
  });

  it('keeps scores exact at ±(2^53−1) and 0, and rejects an add past the range without writing', async () => {
    const set = await fresh();
    await store.submit(set, 'max', { op: 'set', value: MAX_SCORE, at: 1 });
    await store.submit(set, 'min', { op: 'set', value: -MAX_SCORE, at: 2 });
    await store.submit(set, 'zero', { op: 'set', value: -0, at: 3 });
    await store.submit(set, 'max-1', { op: 'set', value: MAX_SCORE - 1, at: 4 });
    await store.submit(set, 'min+1', { op: 'set', value: -MAX_SCORE + 1, at: 5 });
    const all = await store.range(set, 0, 10);
    expect(all.map((e) => [e.playerId, e.score])).toEqual([
      ['min', -MAX_SCORE], ['min+1', -MAX_SCORE + 1], ['zero', 0], ['max-1', MAX_SCORE - 1], ['max', MAX_SCORE],
    ]);
    expect(Object.is(all[2]?.score, 0)).toBe(true);
    await expect(store.submit(set, 'max', { op: 'add', value: 1, at: 9 })).rejects.toBeInstanceOf(RejectedError);
    await expect(store.submit(set, 'min', { op: 'add', value: -1, at: 9 })).rejects.toBeInstanceOf(RejectedError);
    await expect(store.submit(set, 'max', { op: 'add', value: MAX_SCORE, at: 9 })).rejects.toBeInstanceOf(RejectedError);
    expect(await store.submit(set, 'max', { op: 'add', value: -MAX_SCORE, at: 9 })).toMatchObject({ entry: { score: 0, at: 9 } });
    expect(await store.find(set, 'min')).toEqual({ playerId: 'min', score: -MAX_SCORE, at: 2, position: 0 });
    expect(await store.find(set, 'max-1')).toMatchObject({ score: MAX_SCORE - 1 });
    const big = 2 ** 53 - 3;
    const at = 2 ** 52 + 1;
    await store.submit(set, 'late-time', { op: 'set', value: big, at });
    expect(await store.find(set, 'late-time')).toMatchObject({ score: big, at });
  });

  it('with onlyIfPresent writes nothing for a player who has no entry', async () => {
    const set = await fresh();
    expect(await store.submit(set, 'ghost', { op: 'set', value: 1, at: 1, onlyIfPresent: true })).toBeUndefined();
    expect(await store.find(set, 'ghost')).toBeUndefined();
    await store.submit(set, 'ghost', { op: 'set', value: 1, at: 1 });
    expect(await store.submit(set, 'ghost', { op: 'add', value: 1, at: 2, onlyIfPresent: true })).toMatchObject({ entry: { score: 2 } });
  });

  it('takes an entry out and carries it into another set with the operator applied', async () => {
    const from = await fresh();
    const to = await fresh();
    await store.submit(from, 'mover', { op: 'set', value: 40, at: 5 });
    const taken = await store.take(from, 'mover');
    expect(taken).toEqual({ playerId: 'mover', score: 40, at: 5 });
    expect(await store.take(from, 'mover')).toBeUndefined();
    expect(await store.range(from, 0, 10)).toEqual([]);
    // min with a worse value keeps the carried score and its time.
    expect(await store.submit(to, 'mover', { op: 'min', value: 60, at: 9, carry: taken })).toEqual({
      entry: { playerId: 'mover', score: 40, at: 5, position: 0 }, changed: false,
    });
    // add sums onto the carried score.
    const t2 = await fresh();
    expect(await store.submit(t2, 'mover', { op: 'add', value: 2, at: 9, carry: { playerId: 'mover', score: 40, at: 5 } })).toMatchObject({ entry: { score: 42, at: 9 } });
    // A racing entry already in the target combines with the carried one: add sums, min keeps the better, set keeps the one there.
    expect(await store.submit(t2, 'mover', { op: 'add', value: 1, at: 10, carry: { playerId: 'mover', score: 100, at: 1 } })).toMatchObject({ entry: { score: 143, at: 10 } });
    const t3 = await fresh();
    await store.submit(t3, 'r', { op: 'min', value: 30, at: 20 });
    expect(await store.submit(t3, 'r', { op: 'min', value: 50, at: 21, carry: { playerId: 'r', score: 30, at: 3 } })).toMatchObject({ entry: { score: 30, at: 3 }, changed: false });
    await store.submit(t3, 's', { op: 'set', value: 8, at: 22 });
    expect(await store.submit(t3, 's', { op: 'set', value: 8, at: 23, carry: { playerId: 's', score: 1, at: 4 } })).toMatchObject({ entry: { score: 8, at: 22 }, changed: false });
    expect((await store.range(t3, 0, 10)).map((e) => e.playerId)).toEqual(['s', 'r']);
  });

  it('counts entries ahead of a key that is not in the set, with neighbours on both sides', async () => {
    const set = await fresh();
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const [i, id] of ids.entries()) await store.submit(set, id, { op: 'set', value: i < 3 ? 10 : 20, at: 100 + i });
    // a b c at score 10 (times 100..102), d e f at score 20.
    expect(await store.neighbourhood(set, { playerId: 'x', score: 10, at: 100 }, 0, 0)).toEqual({ ahead: 1, above: [], below: [] });
    // Same score and time as b: the player id decides (x after b, A before it).
    expect((await store.neighbourhood(set, { playerId: 'x', score: 10, at: 101 }, 0, 0)).ahead).toBe(2);
    expect((await store.neighbourhood(set, { playerId: 'bb', score: 10, at: 101 }, 0, 0)).ahead).toBe(2);
    expect((await store.neighbourhood(set, { playerId: 'A', score: 10, at: 101 }, 0, 0)).ahead).toBe(1);
    expect((await store.neighbourhood(set, { playerId: 'x', score: 9, at: 999 }, 0, 0)).ahead).toBe(0);
    expect((await store.neighbourhood(set, { playerId: 'x', score: 15, at: 0 }, 0, 0)).ahead).toBe(3);
    expect((await store.neighbourhood(set, { playerId: 'x', score: 99, at: 0 }, 0, 0)).ahead).toBe(6);
    const n = await store.neighbourhood(set, { playerId: 'x', score: 15, at: 0 }, 2, 2);
    expect(n.above.map((e) => e.playerId)).toEqual(['b', 'c']);
    expect(n.below.map((e) => e.playerId)).toEqual(['d', 'e']);
    // The key of an entry in the set: its own entry is neither above nor below.
    const own = await store.neighbourhood(set, { playerId: 'd', score: 20, at: 103 }, 10, 10);
    expect(own).toMatchObject({ ahead: 3 });
    expect(own.above.map((e) => e.playerId)).toEqual(['a', 'b', 'c']);
    expect(own.below.map((e) => e.playerId)).toEqual(['e', 'f']);
  });

  it('restores a set from a loader; a lazy restore does nothing when the set is there; work waits for the marker', async () => {
    const set = `restored-${++n}`;
    const entries: SortedSetEntry[] = Array.from({ length: 50 }, (_, i) => ({ playerId: `p${i}`, score: (i % 5) - 2, at: 1000 - i }));
    let during: unknown;
    const loaded = await store.restore(set, async () => {
      during = await store.submit(set, 'intruder', { op: 'set', value: 1, at: 1 }).catch((e: unknown) => e);
      return entries;
    }, { force: false });
    expect(isSetMissing(during)).toBe(true);
    expect(loaded).toBe(50);
    expect(await store.range(set, 0, 100)).toEqual([...entries].sort(compareEntries));
    expect(await store.restore(set, async () => [], { force: false })).toBeUndefined();
    expect(await store.range(set, 0, 100)).toHaveLength(50);
    expect(await store.restore(set, async () => entries.slice(0, 3), { force: true })).toBe(3);
    expect((await store.range(set, 0, 100)).map((e) => e.playerId).sort()).toEqual(['p0', 'p1', 'p2']);
    // Two restores at once run one after the other; the second lazy one finds the set done.
    const results = await Promise.all([
      store.restore(`${set}-twice`, async () => entries, { force: false }),
      store.restore(`${set}-twice`, async () => [], { force: false }),
    ]);
    expect(results).toEqual([50, undefined]);
    expect(await store.range(`${set}-twice`, 0, 100)).toHaveLength(50);
  });

  it.runIf(kind !== 'memory')('reads several sets as one in a single step on a single node, and not on a cluster', async () => {
    if (kind === 'redis-cluster') {
      // The sets of one board season carry different hash tags there: a script may not touch them together.
      expect(store.rangeUnion).toBeUndefined();
      expect(store.findInUnion).toBeUndefined();
      return;
    }
    const rangeUnion = store.rangeUnion?.bind(store);
    const findInUnion = store.findInUnion?.bind(store);
    if (!rangeUnion || !findInUnion) throw new Error('a single-node Redis store offers rangeUnion and findInUnion');
    const random = rng(23);
    const sets = [await fresh(), await fresh(), await fresh(), await fresh()];
    const players = Array.from({ length: 120 }, (_, i) => `u${i}`);
    const entries: Array<SortedSetEntry & { set: number }> = [];
    for (const playerId of players) {
      // Few scores and times, so ties across sets are common; now and then a player in two sets (a move racing).
      const homes = random() < 0.1 ? [0, 1] : [Math.floor(random() * sets.length)];
      for (const s of homes) {
        const e = { playerId, score: Math.floor(random() * 7) - 3, at: Math.floor(random() * 4), set: s };
        entries.push(e);
        await store.submit(sets[s] as string, playerId, { op: 'set', value: e.score, at: e.at });
      }
    }
    const union = entries.map(({ playerId, score, at }) => ({ playerId, score, at })).sort(compareEntries);
    for (const count of [1, 7, 40, 150, 1000]) expect(await rangeUnion(sets, count), `first ${count}`).toEqual(union.slice(0, count));
    expect(await rangeUnion(sets, 0)).toEqual([]);
    for (const playerId of [...players.slice(0, 60), 'nobody']) {
      const best = union.find((e) => e.playerId === playerId);
      expect(await findInUnion(sets, playerId), playerId).toEqual(best && { ...best, position: union.indexOf(best) });
    }
    // Many distinct scores, most of the best ones in one set: read on from the set that holds them, then answered
    // without a merge in the store; and a tie at the boundary of what was read, which the store merges itself.
    const spread = [await fresh(), await fresh(), await fresh(), await fresh()];
    const spreadEntries: SortedSetEntry[] = [];
    for (let i = 0; i < 400; i++) {
      const s = random() < 0.7 ? 0 : 1 + Math.floor(random() * 3);
      const e = { playerId: `v${i}`, score: s === 0 ? Math.floor(random() * 500) : 300 + Math.floor(random() * 500), at: i };
      spreadEntries.push(e);
      await store.submit(spread[s] as string, e.playerId, { op: 'set', value: e.score, at: e.at });
    }
    const spreadUnion = spreadEntries.sort(compareEntries);
    for (const count of [1, 10, 100, 150, 399, 400, 500]) expect(await rangeUnion(spread, count), `spread, first ${count}`).toEqual(spreadUnion.slice(0, count));
    for (const playerId of ['v0', 'v17', 'v123', 'v399']) {
      const best = spreadUnion.find((e) => e.playerId === playerId) as SortedSetEntry;
      expect(await findInUnion(spread, playerId), playerId).toEqual({ ...best, position: spreadUnion.indexOf(best) });
    }
    const tied = [await fresh(), await fresh()];
    const tiedEntries: SortedSetEntry[] = [];
    for (let i = 0; i < 200; i++) {
      // One score for all but a few, and the first half of the tie (by time) all in one set: the answer reaches
      // past what a store reads of that set at once, while the other set's read entries tie with it.
      const e = { playerId: `t${i}`, score: i % 50 === 0 ? i : 1000, at: i };
      tiedEntries.push(e);
      await store.submit(tied[i < 100 ? 0 : 1] as string, e.playerId, { op: 'set', value: e.score, at: e.at });
    }
    const tiedUnion = tiedEntries.sort(compareEntries);
    for (const count of [3, 5, 60, 200]) expect(await rangeUnion(tied, count), `tied, first ${count}`).toEqual(tiedUnion.slice(0, count));
    for (const playerId of ['t1', 't50', 't101', 't198']) {
      const best = tiedUnion.find((e) => e.playerId === playerId) as SortedSetEntry;
      expect(await findInUnion(tied, playerId), playerId).toEqual({ ...best, position: tiedUnion.indexOf(best) });
    }
    // One set missing: the whole read refuses, as a read of that set would.
    const missing = `never-restored-${++n}`;
    await expect(rangeUnion([...sets, missing], 10)).rejects.toSatisfy(isSetMissing);
    await expect(findInUnion([missing, ...sets], 'u1')).rejects.toSatisfy(isSetMissing);
  });

  it('matches a brute-force model over thousands of random operations', async () => {
    const random = rng(kind === 'redis' ? 7 : 11);
    const sets = [await fresh(), await fresh()];
    const model = sets.map(() => new Map<string, SortedSetEntry>());
    const sorted = (m: Map<string, SortedSetEntry>) => [...m.values()].sort(compareEntries);
    const players = Array.from({ length: 60 }, (_, i) => `p${i}`);
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;
    let at = 0;
    for (let step = 0; step < 2500; step++) {
      const s = Math.floor(random() * sets.length);
      const set = sets[s] as string;
      const m = model[s] as Map<string, SortedSetEntry>;
      const player = pick(players);
      const roll = random();
      if (roll < 0.08) {
        const got = await store.take(set, player);
        expect(got).toEqual(m.get(player));
        m.delete(player);
        continue;
      }
      const op = pick<ScoreOp>(['min', 'set', 'add']);
      // Few distinct values, so ties are common.
      const value = Math.floor(random() * 9) - 4;
      at += random() < 0.2 ? 0 : 1;
      const before = m.get(player);
      let score: number;
      if (op === 'set') score = value;
      else if (op === 'min') score = before ? Math.min(before.score, value) : value;
      else score = (before?.score ?? 0) + value;
      const changed = !before || before.score !== score;
      const entry = { playerId: player, score, at: changed ? at : (before as SortedSetEntry).at };
      m.set(player, entry);
      const got = await store.submit(set, player, { op, value, at });
      expect(got).toEqual({ entry: { ...entry, position: sorted(m).findIndex((e) => e.playerId === player) }, changed });
      if (step % 50 === 0) {
        const all = sorted(m);
        expect(await store.range(set, 0, 1000)).toEqual(all);
        const start = Math.floor(random() * (all.length + 2));
        expect(await store.range(set, start, 5)).toEqual(all.slice(start, start + 5));
        const probe = { playerId: pick(players), score: Math.floor(random() * 9) - 4, at: Math.floor(random() * (at + 1)) };
        const ahead = all.filter((e) => compareEntries(e, probe) < 0);
        const behind = all.filter((e) => compareEntries(e, probe) > 0);
        expect(await store.neighbourhood(set, probe, 3, 4)).toEqual({ ahead: ahead.length, above: ahead.slice(-3), below: behind.slice(0, 4) });
        for (const p of players.slice(0, 10)) {
          const e = m.get(p);
          expect(await store.find(set, p)).toEqual(e && { ...e, position: all.indexOf(e) });
        }
      }
    }
  });
});
