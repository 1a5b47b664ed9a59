// A slot changing hands between two instances of a fleet, on PostgreSQL: the old owner hands each lease straight to
// the new one, so a slot never has a moment without a holder (a request would wait for it, and could wait out its
// deadline), and the new owner, asked to look again by a forwarded request, holds the slot at once.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateCluster } from '../../src/backends/postgres/index.js';
import { Fleet } from '../../src/fleet/index.js';
import { silentLogger } from '../../src/log.js';
import type { PlayerStore } from '../../src/players/index.js';
import { ShardRouter, SlotMap, slotOf, SLOT_COUNT } from '../../src/sharding/index.js';
import { openTestCluster, type TestCluster } from '../helpers/backends.js';
import { waitFor } from '../helpers/wait.js';

/** What a fleet asks of the player store: here, nothing is ever pending, and which players it forgot is recorded. */
function players(): PlayerStore & { forgotten: number } {
  const store = {
    forgotten: 0,
    setOwnership: () => {},
    forget: () => void store.forgotten++,
    drainCommits: async () => true,
  };
  return store as unknown as PlayerStore & { forgotten: number };
}

describe('slot hand-over between fleet instances', () => {
  let cluster: TestCluster;
  let db: pg.Client;
  const fleets: Fleet[] = [];
  beforeAll(async () => {
    cluster = await openTestCluster('postgres', 1);
    await migrateCluster(cluster.cluster);
    db = new pg.Client({ connectionString: cluster.urls[0] });
    await db.connect();
  });
  afterAll(async () => {
    for (const f of fleets) await f.stop().catch(() => {});
    await db?.end();
    await cluster?.cleanup();
  });

  // Leases of a minute: the instances look only when the test makes them (a start, a forwarded request's look).
  const start = async (port: number) => {
    const fleet = new Fleet(cluster.cluster, new ShardRouter(SlotMap.even(1)), players(), { advertiseUrl: `http://127.0.0.1:${port}`, leaseMs: 60_000 }, silentLogger);
    fleets.push(fleet);
    await fleet.start();
    return fleet;
  };
  const held = async () => (await db.query<{ slot: number; instance: string }>('SELECT slot, instance FROM fleet_slot_leases WHERE expires_at > now()')).rows;

  it('never leaves a slot without a holder, and the new owner serves it from its next look', async () => {
    const a = await start(9001);
    expect((await held()).filter((r) => r.instance === a.id)).toHaveLength(SLOT_COUNT);

    // Every few milliseconds while the second instance joins: how many slots have a holder.
    let fewest = SLOT_COUNT;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        fewest = Math.min(fewest, (await held()).length);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const c = await start(9002);
    // The old owner sees the newcomer at its next look and hands over the newcomer's share.
    await a.lookAgain();
    await waitFor(async () => (await held()).filter((r) => r.instance === c.id).length > SLOT_COUNT / 4, 'the newcomer holding its share in the database');
    watching = false;
    await watcher;
    expect(fewest).toBe(SLOT_COUNT);

    // The newcomer has not looked since: its view still names the old owner, and the old owner's names the newcomer.
    const moved = (await held()).find((r) => r.instance === c.id) as { slot: number };
    const player = Array.from({ length: 100_000 }, (_, i) => `handover-${i}`).find((id) => slotOf(id) === moved.slot) as string;
    expect(a.route(player)).toMatchObject({ kind: 'remote', instance: c.id });
    expect(c.owns(player)).toBe(false);
    // A request the old owner forwards makes the newcomer look again, newer than the request: the slot is its own.
    await c.lookAgain();
    expect(c.owns(player)).toBe(true);
    expect(c.route(player)).toEqual({ kind: 'local' });
    const counts = new Map(c.list().map((i) => [i.id, i.slots]));
    expect((counts.get(a.id) ?? 0) + (counts.get(c.id) ?? 0)).toBe(SLOT_COUNT);

    // Leaving, the newcomer hands its slots back the same way.
    fewest = SLOT_COUNT;
    watching = true;
    const again = (async () => {
      while (watching) {
        fewest = Math.min(fewest, (await held()).length);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await c.stop();
    await a.lookAgain();
    watching = false;
    await again;
    expect(fewest).toBe(SLOT_COUNT);
    expect(a.owns(player)).toBe(true);
    expect((await held()).filter((r) => r.instance === a.id)).toHaveLength(SLOT_COUNT);
  });
});
