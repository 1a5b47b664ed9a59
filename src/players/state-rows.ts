// SQL of the `players` row (write-behind) and of snapshots, and loading a player's newest state:
// the newer of (its row, its latest snapshot) plus the events after it.
import type { SqlExecutor } from '../backends/postgres/index.js';
import { readEventsAfter } from '../events/event-log.js';
import { slotOf } from '../sharding/slot-hash.js';
import { replay } from './reducers.js';
import { reviveState, stateJson, type PlayerState } from './player-state.js';

export type LoadSource = 'row' | 'snapshot' | 'replay';

export interface LoadedPlayer {
  state: PlayerState;
  source: LoadSource;
  /** Seq and time of the latest snapshot (0 and undefined when there is none). */
  snapshotSeq: number;
  snapshotAt: number | undefined;
}

interface BaseRow {
  player_id: string;
  source: 'row' | 'snapshot';
  seq: number;
  state: PlayerState;
  at: Date;
}

/** Loads the current committed state of each id (absent from the map: no such player). */
export async function loadPlayers(db: SqlExecutor, playerIds: readonly string[]): Promise<Map<string, LoadedPlayer>> {
  const baseRows = await db.query<BaseRow>(
    `SELECT player_id, 'row' AS source, seq, state, updated_at AS at FROM players WHERE player_id = ANY($1::text[])
     UNION ALL
     (SELECT DISTINCT ON (player_id) player_id, 'snapshot' AS source, seq, state, taken_at AS at
        FROM player_snapshots WHERE player_id = ANY($1::text[]) ORDER BY player_id, seq DESC)`,
    [playerIds],
  );
  const bases = new Map<string, { row?: BaseRow; snapshot?: BaseRow }>();
  for (const r of baseRows) {
    const b = bases.get(r.player_id) ?? {};
    b[r.source] = r;
    bases.set(r.player_id, b);
  }
  const after = new Map<string, number>();
  for (const id of playerIds) {
    const b = bases.get(id);
    after.set(id, Math.max(Number(b?.row?.seq ?? 0), Number(b?.snapshot?.seq ?? 0)));
  }
  const events = await readEventsAfter(db, after);
  const out = new Map<string, LoadedPlayer>();
  for (const id of playerIds) {
    const b = bases.get(id);
    const rowSeq = Number(b?.row?.seq ?? 0);
    const snapSeq = Number(b?.snapshot?.seq ?? 0);
    let base: BaseRow | undefined;
    if (b?.row && rowSeq >= snapSeq) base = b.row;
    else base = b?.snapshot;
    const state = replay(base ? reviveState(base.state) : null, id, events.get(id) ?? []);
    if (state === null) continue;
    out.set(id, {
      state,
      source: base?.source ?? 'replay',
      snapshotSeq: snapSeq,
      snapshotAt: b?.snapshot ? b.snapshot.at.getTime() : undefined,
    });
  }
  return out;
}

/**
 * Batched upsert of `players` rows that never moves a row back in seq. Rows of slots this shard no longer owns
 * (a late flush after a move) are skipped: the row is derived from the log, which the new owner has.
 */
export async function upsertPlayerRows(db: SqlExecutor, states: readonly PlayerState[]): Promise<void> {
  await db.query(
    `INSERT INTO players (player_id, seq, state, updated_at)
     SELECT u.player_id, u.seq, u.state, u.updated_at
       FROM unnest($1::text[], $2::bigint[], $3::jsonb[], $4::timestamptz[], $5::int[]) AS u(player_id, seq, state, updated_at, slot)
      WHERE EXISTS (SELECT 1 FROM slot_owner o WHERE o.slot = u.slot)
     ON CONFLICT (player_id) DO UPDATE SET seq = excluded.seq, state = excluded.state, updated_at = excluded.updated_at
      WHERE players.seq < excluded.seq`,
    [states.map((s) => s.playerId), states.map((s) => s.seq), states.map(stateJson), states.map((s) => s.updatedAt), states.map((s) => slotOf(s.playerId))],
  );
}

export interface SnapshotWrite {
  state: PlayerState;
  /** Snapshots of this player below this seq are deleted (the previous one is kept). */
  keepFrom: number;
  takenAt: string;
}
