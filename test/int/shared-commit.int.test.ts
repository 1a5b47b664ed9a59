// Appends of one player that share a group commit (a world boss hit from many connections): each is decided on the
// state the earlier ones left, uncommitted, in order; a refusal is decided only on a state that lasts; a failed commit
// fails every append built on it and takes the player back to its committed state; expectedSeq stays exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRealmError } from '../../src/errors.js';
import type { PlayerEvent } from '../../src/players/index.js';
import { SQL_KINDS } from '../helpers/backends.js';
import { startTestRealm, type TestRealm } from '../helpers/realm.js';

const add = (amount: number): PlayerEvent => ({ type: 'stat.add', data: { stat: 'xp', amount } });
const grant: PlayerEvent = { type: 'item.grant', data: { item: 'potion', qty: 1 } };
const consume: PlayerEvent = { type: 'item.consume', data: { item: 'potion', qty: 1 } };

/** The reason of a rejected outcome, as `code` (or 'ok' with the seq). */
function outcome(r: PromiseSettledResult<{ seq: number }>): string {
  if (r.status === 'fulfilled') return `ok ${r.value.seq}`;
  const reason = r.reason as unknown;
  return isRealmError(reason) ? reason.code : `error ${String(reason)}`;
}

describe.each(SQL_KINDS)('appends of one player sharing a commit, on %s', (kind) => {
  let t: TestRealm;
  // One shard; a long delay makes every append fired together wait for the same commit.
  beforeAll(async () => {
    t = await startTestRealm(kind, { shards: 1, engine: { groupCommitMaxDelayMs: 300 } });
  });
  afterAll(async () => t?.close());

  const commits = async (): Promise<number> => {
    const m = await t.realm.metrics.groupCommitEvents.get();
    return m.values.filter((v) => v.metricName?.endsWith('_count')).reduce((n, v) => n + v.value, 0);
  };
  const logOf = async (id: string) => (await t.realm.queries.events(id, 0, 100)).events.map((e) => [e.seq, e.type]);

  it('applies each append on the uncommitted state before it, in order, and commits them together', async () => {
    const store = t.realm.players;
    const id = 'boss-1';
    const before = await commits();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.append(id, [add(i + 1)])));
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(results.map((r) => r.state.stats.xp)).toEqual(Array.from({ length: 12 }, (_, i) => ((i + 1) * (i + 2)) / 2));
    // One transaction for all twelve: each did not wait for the commit of the one before.
    expect((await commits()) - before).toBe(1);
    expect(await logOf(id)).toEqual(Array.from({ length: 12 }, (_, i) => [i + 1, 'stat.add']));
  });

  it('decides a rejection in order: a consume the uncommitted appends before it leave nothing for is refused, the next one goes on', async () => {
    const store = t.realm.players;
    const id = 'bank-1';
    const results = await Promise.allSettled([store.append(id, [grant]), store.append(id, [consume]), store.append(id, [consume]), store.append(id, [grant])]);
    expect(results.map(outcome)).toEqual(['ok 1', 'ok 2', 'rejected', 'ok 3']);
    expect(await logOf(id)).toEqual([[1, 'item.grant'], [2, 'item.consume'], [3, 'item.grant']]);
    expect((await t.realm.queries.get(id, 'strong')).state).toMatchObject({ seq: 3, items: { potion: 1 } });
  });

  it('keeps expectedSeq exact inside a shared commit', async () => {
    const store = t.realm.players;
    const id = 'guild-1';
    await store.append(id, [add(1)]);
    const before = await commits();
    const results = await Promise.allSettled([
      store.append(id, [add(1)]), // seq 2
      store.append(id, [add(1)], { expectedSeq: 2 }), // on the uncommitted seq 2: seq 3, same commit
      store.append(id, [add(1)], { expectedSeq: 2 }), // the player is at 3 by then
      store.append(id, [add(1)], { expectedSeq: 1 }),
      store.append(id, [add(1)], { expectedSeq: 3 }), // seq 4
    ]);
    expect(results.map(outcome)).toEqual(['ok 2', 'ok 3', 'conflict', 'conflict', 'ok 4']);
    const conflict = (results[2] as PromiseRejectedResult).reason as { currentSeq?: number };
    expect(conflict.currentSeq).toBe(3);
    // 2 and 3 shared a commit; 4 was decided once 2 and 3 had committed (the conflicts waited for them).
    expect((await commits()) - before).toBe(2);
    expect((await logOf(id)).map(([seq]) => seq)).toEqual([1, 2, 3, 4]);
  });

  it('still lets batched appends wait for their window (the early commit is for sync writers only)', async () => {
    const store = t.realm.players;
    await store.append('window-0', [add(1)], { durability: 'batched' });
    expect(await store.flush(10_000)).toBe(true);
    const before = await commits();
    for (let i = 1; i <= 5; i++) await store.append(`window-${i}`, [add(1)], { durability: 'batched' });
    await new Promise((r) => setTimeout(r, 100));
    expect((await commits()) - before).toBe(0);
    expect(await store.flush(10_000)).toBe(true);
    expect((await commits()) - before).toBe(1);
  });

  it('fails every append of a failed commit, and of those built on it, and goes back to the committed state', async () => {
    const store = t.realm.players;
    const id = 'doomed-1';
    await store.append(id, [add(1), grant]);
    const shard = t.realm.sql.shards[0]!;
    // The database fails the commit of this player's next events as a shard going down would (SQLSTATE 57P03).
    await shard.exec(`
      CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.player_id = 'doomed-1' THEN RAISE EXCEPTION 'shard going down' USING ERRCODE = '57P03'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_doomed BEFORE INSERT ON player_events FOR EACH ROW EXECUTE FUNCTION refuse_doomed();`);
    try {
      const results = await Promise.allSettled([
        store.append(id, [add(10)]),
        store.append(id, [consume]), // fine on the uncommitted state
        store.append(id, [add(10)], { expectedSeq: 4 }), // on the two uncommitted appends before it
      ]);
      expect(results.map(outcome)).toEqual(['unavailable', 'unavailable', 'unavailable']);
      // Back to the committed state, in memory too (what a read answers from).
      expect(store.peek(id)).toMatchObject({ seq: 2, stats: { xp: 1 }, items: { potion: 1 } });
    } finally {
      await shard.exec('DROP TRIGGER refuse_doomed ON player_events; DROP FUNCTION refuse_doomed();');
    }
    // Once the shard's backoff is over, the player goes on from its committed seq, with no gap.
    let next: PromiseSettledResult<{ seq: number }> | undefined;
    for (let i = 0; i < 50 && next?.status !== 'fulfilled'; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      [next] = await Promise.allSettled([store.append(id, [add(5)], { expectedSeq: 2 })]);
    }
    expect(outcome(next!)).toBe('ok 3');
    expect((await logOf(id)).map(([seq]) => seq)).toEqual([1, 2, 3]);
    expect((await t.realm.queries.get(id, 'strong')).state).toMatchObject({ seq: 3, stats: { xp: 6 }, items: { potion: 1 } });
  });
});
