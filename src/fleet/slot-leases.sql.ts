// SQL of the fleet tables (migration 0005-fleet-leases.sql), run on every shard.
import type { SqlExecutor } from '../backends/postgres/index.js';

export interface InstanceRow {
  id: string;
  url: string;
  startedAt: string;
  lastSeenAt: string;
}

/** Says this instance is alive and returns the instances seen within `liveMs` (by the database's clock). */
export async function heartbeat(db: SqlExecutor, me: { id: string; url: string; startedAt: string }, liveMs: number): Promise<InstanceRow[]> {
  await db.query(
    `INSERT INTO fleet_instances (id, url, started_at, last_seen_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, last_seen_at = now()`,
    [me.id, me.url, me.startedAt],
  );
  // Instances gone for long are forgotten, so the table does not grow with every restart.
  await db.query("DELETE FROM fleet_instances WHERE last_seen_at < now() - interval '1 hour'");
  const rows = await db.query<{ id: string; url: string; started_at: Date; last_seen_at: Date }>(
    'SELECT id, url, started_at, last_seen_at FROM fleet_instances WHERE last_seen_at > now() - make_interval(secs => $1::float8 / 1000) ORDER BY id',
    [liveMs],
  );
  return rows.map((r) => ({ id: r.id, url: r.url, startedAt: r.started_at.toISOString(), lastSeenAt: r.last_seen_at.toISOString() }));
}

/**
 * Takes or renews the leases of `slots` that are free, expired or already ours, and renews every unexpired lease
 * already ours (one another instance handed over to this one); returns the slots now held.
 */
export async function claimSlots(db: SqlExecutor, instance: string, slots: readonly number[], ttlMs: number): Promise<number[]> {
  // In slot order, like the fence's FOR SHARE: the two never wait on each other in a cycle.
  const rows = await db.query<{ slot: number }>(
    `INSERT INTO fleet_slot_leases (slot, instance, expires_at)
     SELECT w.s, $2, now() + make_interval(secs => $3::float8 / 1000)
       FROM (SELECT unnest($1::int[]) UNION SELECT slot FROM fleet_slot_leases WHERE instance = $2 AND expires_at > now()) AS w(s)
      ORDER BY w.s
     ON CONFLICT (slot) DO UPDATE SET instance = EXCLUDED.instance, expires_at = EXCLUDED.expires_at
       WHERE fleet_slot_leases.instance = EXCLUDED.instance OR fleet_slot_leases.expires_at <= now()
     RETURNING slot`,
    [[...slots].sort((a, b) => a - b), instance, ttlMs],
  );
  return rows.map((r) => r.slot);
}

/**
 * Hands leases this instance holds straight to the instances that take them (slot → instance id), with a fresh
 * lifetime: the slot is never without a holder, so nobody waits for it to be claimed. Returns the slots handed over.
 */
export async function transferSlots(db: SqlExecutor, instance: string, to: ReadonlyMap<number, string>, ttlMs: number): Promise<number[]> {
  if (to.size === 0) return [];
  const slots = [...to.keys()].sort((a, b) => a - b);
  // Locked in slot order first, like the fence and the claims.
  const rows = await db.query<{ slot: number }>(
    `WITH mine AS (
       SELECT slot FROM fleet_slot_leases WHERE instance = $1 AND slot = ANY($2::int[]) ORDER BY slot FOR UPDATE
     )
     UPDATE fleet_slot_leases AS l SET instance = t.instance, expires_at = now() + make_interval(secs => $4::float8 / 1000)
       FROM unnest($2::int[], $3::text[]) AS t(slot, instance)
      WHERE l.slot = t.slot AND l.slot IN (SELECT slot FROM mine)
     RETURNING l.slot`,
    [instance, slots, slots.map((s) => to.get(s) as string), ttlMs],
  );
  return rows.map((r) => r.slot);
}

/** Gives up leases (after this instance committed everything it acknowledged for them). */
export async function releaseSlots(db: SqlExecutor, instance: string, slots: readonly number[]): Promise<void> {
  if (slots.length === 0) return;
  await db.query('DELETE FROM fleet_slot_leases WHERE instance = $1 AND slot = ANY($2::int[])', [instance, [...slots]]);
}

/** Unexpired leases: slot → instance id. */
export async function leaseHolders(db: SqlExecutor): Promise<Map<number, string>> {
  const rows = await db.query<{ slot: number; instance: string }>('SELECT slot, instance FROM fleet_slot_leases WHERE expires_at > now()');
  return new Map(rows.map((r) => [r.slot, r.instance]));
}
