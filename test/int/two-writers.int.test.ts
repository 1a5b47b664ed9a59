// Two processes on the same databases without a fleet (each may write every player): a refusal decided on the state a
// process holds in memory would be final without ever touching the log, so it is checked against the log first. The
// other process's appends since then are taken into account, never a stale copy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlayerEvent } from '../../src/players/index.js';
import { startTestRealm, type TestRealm } from '../helpers/realm.js';

const add = (amount: number): PlayerEvent => ({ type: 'stat.add', data: { stat: 'xp', amount } });
const grant: PlayerEvent = { type: 'item.grant', data: { item: 'potion', qty: 1 } };
const consume: PlayerEvent = { type: 'item.consume', data: { item: 'potion', qty: 1 } };

describe('two processes writing one player, on postgres', () => {
  let a: TestRealm;
  let b: TestRealm;
  beforeAll(async () => {
    a = await startTestRealm('postgres', { shards: 1 });
    b = await startTestRealm('postgres', { shards: 1, cluster: a.cluster });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('does not refuse an append because of a state the other process has moved past', async () => {
    await a.realm.players.append('two-1', [add(1)]);
    // The other process gives the player a potion; this one still holds the player without it.
    await b.realm.players.append('two-1', [grant]);
    const used = await a.realm.players.append('two-1', [consume]);
    expect(used.seq).toBe(3);
    expect(used.state.items.potion ?? 0).toBe(0);
    // And a refusal that the log confirms is still a refusal.
    await expect(a.realm.players.append('two-1', [consume])).rejects.toMatchObject({ code: 'rejected' });
  });

  it('takes an expectedSeq read from the other process', async () => {
    await a.realm.players.append('two-2', [add(1)]);
    const there = await b.realm.players.append('two-2', [add(2)]);
    const next = await a.realm.players.append('two-2', [add(3)], { expectedSeq: there.seq });
    expect(next.seq).toBe(there.seq + 1);
    expect(next.state.stats.xp).toBe(6);
    await expect(a.realm.players.append('two-2', [add(4)], { expectedSeq: there.seq })).rejects.toMatchObject({ code: 'conflict', currentSeq: next.seq });
  });
});
