// The one statement of a group commit: the slot fence, the lease fence, the new players' slot index, the events, their
// outbox rows and the snapshots, in one round trip inside the commit's transaction. The fences are checked first and
// their locks held to the end of the transaction; when one fails, nothing is written and the caller rolls back.
import type { SqlExecutor } from '../backends/postgres/index.js';
import type { EventRow } from '../events/event-log.js';
import { stateJson } from './player-state.js';
import type { SnapshotWrite } from './state-rows.js';

export interface CommitRows {
  /** Every slot the batch writes, each once. */
  slots: readonly number[];
  /** When set (a fleet), this instance must hold an unexpired lease on every slot. */
  instance: string | undefined;
  /** Players committed for the first time, for the slot index of moves. */
  newPlayers: ReadonlyArray<{ slot: number; playerId: string }>;
  /** Events in (player, seq) order: every process takes the key locks in that order, so two commits cannot deadlock. */
  events: readonly EventRow[];
  /** The same events in commit order, which the outbox keeps for the relay. */
  outbox: readonly EventRow[];
  snapshots: readonly SnapshotWrite[];
}

export interface CommitOutcome {
  /** False when a fence failed: nothing was written. */
  fenced: boolean;
  /** Events inserted; fewer than sent means another writer holds some of the keys. */
  inserted: number;
  /** Slots this shard owns and may write now. */
  owned: Set<number>;
  /** Slots this shard owns that a move froze. */
  frozen: Set<number>;
  /** Slots whose lease this instance holds (every slot when `instance` is not set). */
  held: Set<number>;
}

// The fence CTEs are MATERIALIZED (run once, their locks taken) and read by `verdict` before anything is written:
// slot_owner FOR SHARE first, then the leases in slot order, then the rows, as the separate statements did before.
const COMMIT_SQL = `
WITH owned AS MATERIALIZED (
  SELECT slot, frozen FROM slot_owner WHERE slot = ANY($1::int[]) FOR SHARE
), held AS MATERIALIZED (
  SELECT slot FROM fleet_slot_leases
   WHERE $2::text IS NOT NULL AND slot = ANY($1::int[]) AND instance = $2::text AND expires_at > now()
   ORDER BY slot FOR SHARE
), verdict AS MATERIALIZED (
  SELECT (SELECT count(*) FROM owned WHERE NOT frozen) = cardinality($1::int[])
     AND ($2::text IS NULL OR (SELECT count(*) FROM held) = cardinality($1::int[])) AS ok
), ins AS (
  INSERT INTO player_events (player_id, seq, type, data, recorded_at)
  SELECT * FROM unnest($3::text[], $4::bigint[], $5::text[], $6::jsonb[], $7::timestamptz[]) WHERE (SELECT ok FROM verdict)
  ON CONFLICT (player_id, seq) DO NOTHING
  RETURNING 1
), new_players AS (
  INSERT INTO slot_players (slot, player_id) SELECT * FROM unnest($8::int[], $9::text[]) WHERE (SELECT ok FROM verdict)
  ON CONFLICT DO NOTHING
), ob AS (
  INSERT INTO outbox (player_id, seq) SELECT * FROM unnest($10::text[], $11::bigint[]) WHERE (SELECT ok FROM verdict)
), snaps AS (
  INSERT INTO player_snapshots (player_id, seq, state, taken_at)
  SELECT * FROM unnest($12::text[], $13::bigint[], $14::jsonb[], $15::timestamptz[]) WHERE (SELECT ok FROM verdict)
  ON CONFLICT (player_id, seq) DO NOTHING
), pruned AS (
  DELETE FROM player_snapshots s USING unnest($16::text[], $17::bigint[]) AS k(player_id, keep_from)
   WHERE s.player_id = k.player_id AND s.seq < k.keep_from AND (SELECT ok FROM verdict)
)
SELECT (SELECT ok FROM verdict) AS ok,
       (SELECT count(*)::int FROM ins) AS inserted,
       (SELECT coalesce(array_agg(slot), '{}') FROM owned WHERE NOT frozen) AS owned,
       (SELECT coalesce(array_agg(slot), '{}') FROM owned WHERE frozen) AS frozen,
       (SELECT coalesce(array_agg(slot), '{}') FROM held) AS held`;

export async function commitRows(tx: SqlExecutor, rows: CommitRows): Promise<CommitOutcome> {
  const e = columns(rows.events);
  const pruned = rows.snapshots.filter((s) => s.keepFrom > 0);
  const [result] = await tx.query<{ ok: boolean; inserted: number; owned: number[]; frozen: number[]; held: number[] }>(COMMIT_SQL, [
    rows.slots,
    rows.instance ?? null,
    e.ids,
    e.seqs,
    e.types,
    e.datas,
    e.times,
    rows.newPlayers.map((p) => p.slot),
    rows.newPlayers.map((p) => p.playerId),
    rows.outbox.map((r) => r.playerId),
    rows.outbox.map((r) => r.seq),
    rows.snapshots.map((s) => s.state.playerId),
    rows.snapshots.map((s) => s.state.seq),
    rows.snapshots.map((s) => stateJson(s.state)),
    rows.snapshots.map((s) => s.takenAt),
    pruned.map((s) => s.state.playerId),
    pruned.map((s) => s.keepFrom),
  ], 'realmstate_group_commit');
  if (!result) throw new Error('the commit statement returned no row');
  return {
    fenced: !result.ok,
    inserted: result.inserted,
    owned: new Set(result.owned),
    frozen: new Set(result.frozen),
    held: rows.instance === undefined ? new Set(rows.slots) : new Set(result.held),
  };
}

function columns(rows: readonly EventRow[]): { ids: string[]; seqs: number[]; types: string[]; datas: string[]; times: string[] } {
  const out = { ids: [] as string[], seqs: [] as number[], types: [] as string[], datas: [] as string[], times: [] as string[] };
  for (const r of rows) {
    out.ids.push(r.playerId);
    out.seqs.push(r.seq);
    out.types.push(r.type);
    out.datas.push(JSON.stringify(r.data));
    out.times.push(r.recordedAt);
  }
  return out;
}
