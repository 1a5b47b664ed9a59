// SQL of the per-player event log: batched appends (one unnest statement per table, whatever the batch size)
// and reads. The group committer and the readers call these inside their own transactions.
import type { SqlExecutor } from '../backends/postgres/index.js';
import type { InternalEventType, PlayerEventType, RecordedEvent } from '../players/player-events.js';

export interface EventRow extends RecordedEvent {
  playerId: string;
}

interface DbEventRow {
  player_id: string;
  seq: number;
  type: PlayerEventType | InternalEventType;
  data: RecordedEvent['data'];
  recorded_at: Date;
}

const toRecorded = (r: DbEventRow): RecordedEvent => ({ seq: Number(r.seq), type: r.type, data: r.data, recordedAt: r.recorded_at.toISOString() });

/**
 * Inserts events; rows whose (player_id, seq) already exists are skipped. Returns how many were inserted,
 * so the caller can tell a clean append (all of them) from a conflict.
 */
export async function insertEvents(tx: SqlExecutor, rows: readonly EventRow[]): Promise<number> {
  const ids: string[] = [];
  const seqs: number[] = [];
  const types: string[] = [];
  const datas: string[] = [];
  const times: string[] = [];
  for (const r of rows) {
    ids.push(r.playerId);
    seqs.push(r.seq);
    types.push(r.type);
    datas.push(JSON.stringify(r.data));
    times.push(r.recordedAt);
  }
  const [result] = await tx.query<{ n: number }>(
    `WITH ins AS (
       INSERT INTO player_events (player_id, seq, type, data, recorded_at)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::jsonb[], $5::timestamptz[])
       ON CONFLICT (player_id, seq) DO NOTHING
       RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [ids, seqs, types, datas, times],
  );
  return result?.n ?? 0;
}

/** Outbox rows for the relay, in the same transaction as the events (no dual write). */
export async function insertOutbox(tx: SqlExecutor, rows: readonly EventRow[]): Promise<void> {
  await tx.query('INSERT INTO outbox (player_id, seq) SELECT * FROM unnest($1::text[], $2::bigint[])', [rows.map((r) => r.playerId), rows.map((r) => r.seq)]);
}

/** The stored events at the given keys, for telling our own earlier commit from someone else's. */
export async function eventsAt(tx: SqlExecutor, keys: ReadonlyArray<{ playerId: string; seq: number }>): Promise<EventRow[]> {
  const rows = await tx.query<DbEventRow>(
    `SELECT e.player_id, e.seq, e.type, e.data, e.recorded_at FROM player_events e
       JOIN unnest($1::text[], $2::bigint[]) AS k(player_id, seq) ON e.player_id = k.player_id AND e.seq = k.seq`,
    [keys.map((k) => k.playerId), keys.map((k) => k.seq)],
  );
  return rows.map((r) => ({ playerId: r.player_id, ...toRecorded(r) }));
}

/** Highest seq per player in the log (players without events are absent). */
export async function currentSeqs(tx: SqlExecutor, playerIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await tx.query<{ player_id: string; seq: number }>(
    'SELECT player_id, max(seq) AS seq FROM player_events WHERE player_id = ANY($1::text[]) GROUP BY player_id',
    [playerIds],
  );
  return new Map(rows.map((r) => [r.player_id, Number(r.seq)]));
}

/** Events of one player with after < seq ≤ upTo, in seq order. */
export async function readEvents(db: SqlExecutor, playerId: string, after: number, limit: number, upTo = Number.MAX_SAFE_INTEGER): Promise<RecordedEvent[]> {
  const rows = await db.query<DbEventRow>(
    'SELECT player_id, seq, type, data, recorded_at FROM player_events WHERE player_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4',
    [playerId, after, upTo, limit],
  );
  return rows.map(toRecorded);
}

/** For each (player, after): the events with seq > after, grouped by player, in seq order. */
export async function readEventsAfter(db: SqlExecutor, bases: ReadonlyMap<string, number>): Promise<Map<string, RecordedEvent[]>> {
  const out = new Map<string, RecordedEvent[]>();
  if (bases.size === 0) return out;
  const rows = await db.query<DbEventRow>(
    `SELECT e.player_id, e.seq, e.type, e.data, e.recorded_at FROM player_events e
       JOIN unnest($1::text[], $2::bigint[]) AS b(player_id, after) ON e.player_id = b.player_id AND e.seq > b.after
      ORDER BY e.player_id, e.seq`,
    [[...bases.keys()], [...bases.values()]],
  );
  for (const r of rows) {
    const list = out.get(r.player_id);
    if (list) list.push(toRecorded(r));
    else out.set(r.player_id, [toRecorded(r)]);
  }
  return out;
}
