// The lease fence: an instance that lost a slot's lease cannot commit to it, whatever it still believes, and a
// takeover waits for a commit that holds the lease to finish.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimSlots } from '../../src/fleet/slot-leases.sql.js';
import { commitRows } from '../../src/players/commit-statement.js';
import { slotOf } from '../../src/sharding/index.js';
import { startTestRealm, type TestRealm } from '../helpers/realm.js';
import { waitFor } from '../helpers/wait.js';

describe('lease fence on PostgreSQL', () => {
  let t: TestRealm;
  let db: pg.Client;
  beforeAll(async () => {
    // A fleet of one with long leases: it holds every slot and renews its leases only every 150 s, so nothing but the test touches them.
    t = await startTestRealm('postgres', { shards: 1, env: { REALMSTATE_ADVERTISE_URL: 'http://127.0.0.1:9', REALMSTATE_LEASE_MS: '600000' } });
    db = new pg.Client({ connectionString: t.cluster.urls[0] });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const logOf = async (id: string) => (await db.query<{ seq: string }>('SELECT seq FROM player_events WHERE player_id = $1 ORDER BY seq', [id])).rows.map((r) => Number(r.seq));

  it('refuses the commits of an instance whose lease another instance took', async () => {
    const { realm } = t;
    expect(realm.fleet.enabled).toBe(true);
    await realm.players.append('fenced-1', [{ type: 'stat.add', data: { stat: 'n', amount: 1 } }]);
    // Another instance takes the slot (as after this one's lease ran out while it was cut off from the database).
    await db.query("UPDATE fleet_slot_leases SET instance = 'usurper' WHERE slot = $1", [slotOf('fenced-1')]);
    expect(realm.fleet.owns('fenced-1')).toBe(true);

    const sync = realm.players.append('fenced-1', [{ type: 'stat.add', data: { stat: 'n', amount: 1 } }]);
    await expect(sync).rejects.toMatchObject({ code: 'unavailable' });
    const dropped = await realm.metrics.batchedDropped.get();
    const before = dropped.values[0]?.value ?? 0;
    await realm.players.append('fenced-1', [{ type: 'stat.add', data: { stat: 'n', amount: 1 } }], { durability: 'batched' });
    await waitFor(async () => ((await realm.metrics.batchedDropped.get()).values[0]?.value ?? 0) > before, 'the fenced batched append counted as dropped');
    expect(await logOf('fenced-1')).toEqual([1]);
    // Players of the slots it still holds are not affected.
    const other = ['fenced-2', 'fenced-3', 'fenced-4'].find((id) => slotOf(id) !== slotOf('fenced-1')) as string;
    await expect(realm.players.append(other, [{ type: 'stat.add', data: { stat: 'n', amount: 1 } }])).resolves.toMatchObject({ seq: 1 });
  });

  it('makes a takeover wait for a commit that holds the lease', async () => {
    const slot = slotOf('fenced-5');
    await db.query("UPDATE fleet_slot_leases SET instance = 'holder', expires_at = now() + interval '1 second' WHERE slot = $1", [slot]);
    const committing = new pg.Client({ connectionString: t.cluster.urls[0] });
    await committing.connect();
    try {
      await committing.query('BEGIN');
      // The fence of a group commit (here with no rows to write) takes the lease's lock until the transaction ends.
      const outcome = await commitRows({ query: async (text, params) => (await committing.query(text, params as unknown[])).rows }, { slots: [slot], instance: 'holder', newPlayers: [], events: [], outbox: [], snapshots: [] });
      expect({ fenced: outcome.fenced, held: [...outcome.held] }).toEqual({ fenced: false, held: [slot] });
      // The lease runs out while that commit is still open; then another instance claims the slot.
      await waitFor(async () => (await db.query('SELECT 1 FROM fleet_slot_leases WHERE slot = $1 AND expires_at < now()', [slot])).rowCount === 1, 'the lease to run out');
      let claimed: number[] | undefined;
      const claimer = new pg.Client({ connectionString: t.cluster.urls[0] });
      await claimer.connect();
      const claim = claimSlots({ query: async (text, params) => (await claimer.query(text, params as unknown[])).rows }, 'taker', [slot], 60_000).then((s) => (claimed = s));
      await new Promise((r) => setTimeout(r, 300));
      expect(claimed).toBeUndefined();
      await committing.query('COMMIT');
      expect(await claim).toEqual([slot]);
      await claimer.end();
    } finally {
      await committing.end();
    }
  });
});
