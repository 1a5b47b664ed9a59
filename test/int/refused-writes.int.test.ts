// Rows the database refuses for their values (here a string with U+0000, which jsonb cannot hold; the HTTP edge
// rejects it, the library does not) fail only the append that carries them: the other players of the same group
// commit are written, the shard is not treated as down, a refused `batched` append does not block the shard, and the
// player's log has no seq gap. One shard, so all these players share its group commits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRealmError } from '../../src/errors.js';
import type { PlayerEvent } from '../../src/players/index.js';
import { SQL_KINDS } from '../helpers/backends.js';
import { startTestRealm, type TestRealm } from '../helpers/realm.js';

const add = (amount: number): PlayerEvent => ({ type: 'stat.add', data: { stat: 'xp', amount } });
const poison: PlayerEvent = { type: 'data.set', data: { key: 'note', value: 'a\u0000b' } };

describe.each(SQL_KINDS)('appends the database refuses, on %s', (kind) => {
  let t: TestRealm;
  // One shard, so every append shares the same group commit. A long group-commit delay puts concurrent appends
  // in one transaction; a short batched window commits batched appends soon.
  beforeAll(async () => {
    t = await startTestRealm(kind, { shards: 1, engine: { groupCommitMaxDelayMs: 200, batchedFlushMs: 50 } });
  });
  afterAll(async () => t?.close());

  it('fail alone: the rest of the group commit is written and the shard stays available', async () => {
    const store = t.realm.players;
    const [bad, good1, good2] = ['refuse-0', 'refuse-1', 'refuse-2'];
    const results = await Promise.allSettled([store.append(good1, [add(1)]), store.append(bad, [add(5), poison]), store.append(good2, [add(2)])]);
    expect(results[0].status).toBe('fulfilled');
    expect(results[2].status).toBe('fulfilled');
    expect(results[1].status).toBe('rejected');
    const reason = (results[1] as PromiseRejectedResult).reason as unknown;
    expect(isRealmError(reason) && reason.code).toBe('invalid_argument');

    // Not a shard outage: the next append of the same shard, and of the refused player, go through at once.
    await expect(store.append(good1, [add(1)])).resolves.toMatchObject({ seq: 2 });
    await expect(store.append(bad, [add(7)])).resolves.toMatchObject({ seq: 1 });
    expect(await t.realm.queries.get(bad, 'strong')).toMatchObject({ state: { seq: 1, stats: { xp: 7 } } });
    expect((await t.realm.queries.events(bad, 0, 10)).events.map((e) => e.seq)).toEqual([1]);
  });

  it('a refused batched append is dropped without blocking the shard, and later appends of the player are kept', async () => {
    const store = t.realm.players;
    const [bad, other] = ['poison-0', 'poison-1'];
    await store.append(bad, [add(1)]);
    // Acknowledged before the commit, so the refusal comes later; the follower was applied on top of it.
    await expect(store.append(bad, [poison], { durability: 'batched' })).resolves.toMatchObject({ seq: 2 });
    await expect(store.append(bad, [add(10)], { durability: 'batched' })).resolves.toMatchObject({ seq: 3 });

    expect(await store.flush(10_000)).toBe(true);
    await expect(store.append(other, [add(1)])).resolves.toMatchObject({ seq: 1 });
    await expect(store.append(other, [add(1)], { durability: 'batched' })).resolves.toMatchObject({ seq: 2 });
    expect(await store.flush(10_000)).toBe(true);

    // The follower was re-applied on the committed state: seq 2, no gap, no trace of the refused event.
    const strong = await t.realm.queries.get(bad, 'strong');
    expect(strong.state).toMatchObject({ seq: 2, stats: { xp: 11 } });
    expect(strong.state.data).toEqual({});
    const events = (await t.realm.queries.events(bad, 0, 10)).events;
    expect(events.map((e) => [e.seq, e.type])).toEqual([[1, 'stat.add'], [2, 'stat.add']]);
    expect(await t.realm.metrics.batchedDropped.get()).toMatchObject({ values: [{ value: 1 }] });
  });
});
