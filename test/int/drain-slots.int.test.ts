// A fleet instance that hands slots over waits until the appends it acknowledged for those slots are committed.
// Under a steady load on other players the commit queue as a whole is never empty: waiting for that would run out
// the hand-over's time and give the slots away with their appends still uncommitted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlayerEvent } from '../../src/players/index.js';
import { slotOf } from '../../src/sharding/index.js';
import { startTestRealm, type TestRealm } from '../helpers/realm.js';

const add: PlayerEvent = { type: 'stat.add', data: { stat: 'xp', amount: 1 } };

describe('draining the commits of some slots, on postgres', () => {
  let t: TestRealm;
  beforeAll(async () => {
    t = await startTestRealm('postgres', { shards: 1, engine: { batchedFlushMs: 200 } });
  });
  afterAll(async () => t?.close());

  it('ends once those slots are committed, whatever keeps arriving for the others', async () => {
    const store = t.realm.players;
    const leaving = 'drain-leaving';
    const busy = Array.from({ length: 8 }, (_, i) => `drain-busy-${i}`).filter((id) => slotOf(id) !== slotOf(leaving));
    let running = true;
    const load = busy.map(async (id) => {
      // `batched` appends are acknowledged before their commit, so the queue always holds some of them.
      while (running) {
        await store.append(id, [add], { durability: 'batched' });
        await new Promise((r) => setImmediate(r));
      }
    });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const acked = await store.append(leaving, [add], { durability: 'batched' });
      const started = Date.now();
      expect(await store.drainCommits(5000, new Set([slotOf(leaving)]))).toBe(true);
      expect(Date.now() - started).toBeLessThan(2000);
      // Committed: a fresh read of the log has it.
      expect((await t.realm.queries.events(leaving, 0, 10)).events.map((e) => e.seq)).toContain(acked.seq);
    } finally {
      running = false;
      await Promise.all(load);
    }
  });
});
