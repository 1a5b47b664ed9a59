// SQL of the leaderboards' durable copy (`leaderboard_scores`) and of the PUT-made boards (`leaderboards`, shard 0).
import type { SqlExecutor } from '../backends/postgres/index.js';

export interface ScoreRow {
  board: string;
  season: string;
  playerId: string;
  /** null on a board without regions. */
  region: string | null;
  score: number;
  /** Microseconds since the epoch; timestamptz keeps microseconds, so this round-trips exactly. */
  at: number;
}

/**
 * Upserts rows (at most one per board, season and player). A row never goes back in time: a change of score always
 * takes a later stamp, so an older copy arriving late (a retried flush) cannot overwrite a newer one.
 */
export async function upsertScoreRows(db: SqlExecutor, rows: readonly ScoreRow[]): Promise<void> {
  // µs → timestamptz as whole seconds plus microseconds: both factors stay small, so no step goes through a rounded double.
  await db.query(
    `INSERT INTO leaderboard_scores (board, season, player_id, region, score, achieved_at)
     SELECT b, s, p, r, sc, timestamptz 'epoch' + (a / 1000000) * interval '1 second' + (a % 1000000) * interval '1 microsecond'
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) AS u(b, s, p, r, sc, a)
     ON CONFLICT (board, season, player_id) DO UPDATE
       SET region = excluded.region, score = excluded.score, achieved_at = excluded.achieved_at
       WHERE excluded.achieved_at >= leaderboard_scores.achieved_at`,
    [
      rows.map((r) => r.board), rows.map((r) => r.season), rows.map((r) => r.playerId), rows.map((r) => r.region),
      rows.map((r) => r.score), rows.map((r) => r.at),
    ],
  );
}

interface DbScoreRow {
  player_id: string;
  region: string | null;
  score: number;
  at: number;
}

/** Every row of one board and season on this shard. */
export async function readScoreRows(db: SqlExecutor, board: string, season: string): Promise<ScoreRow[]> {
  const rows = await db.query<DbScoreRow>(
    `SELECT player_id, region, score, (extract(epoch FROM achieved_at) * 1000000)::bigint AS at
       FROM leaderboard_scores WHERE board = $1 AND season = $2`,
    [board, season],
  );
  return rows.map((r) => ({ board, season, playerId: r.player_id, region: r.region, score: Number(r.score), at: Number(r.at) }));
}

/** One player's row of a board season (its region, when a region it may be in cannot be asked). */
export async function readPlayerScoreRow(db: SqlExecutor, board: string, season: string, playerId: string): Promise<ScoreRow | undefined> {
  const rows = await db.query<DbScoreRow>(
    `SELECT player_id, region, score, (extract(epoch FROM achieved_at) * 1000000)::bigint AS at
       FROM leaderboard_scores WHERE board = $1 AND season = $2 AND player_id = $3`,
    [board, season, playerId],
  );
  const r = rows[0];
  return r && { board, season, playerId: r.player_id, region: r.region, score: Number(r.score), at: Number(r.at) };
}

export async function writeBoardDefinition(db: SqlExecutor, board: string, definition: unknown): Promise<void> {
  await db.query(
    `INSERT INTO leaderboards (board, definition, updated_at) VALUES ($1, $2::jsonb, now())
     ON CONFLICT (board) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`,
    [board, JSON.stringify(definition)],
  );
}

export async function readBoardDefinitions(db: SqlExecutor): Promise<Array<{ board: string; definition: unknown }>> {
  return db.query<{ board: string; definition: unknown }>('SELECT board, definition FROM leaderboards ORDER BY board');
}

/** Every row of one player (all boards, seasons and regions) on its shard. */
export async function readPlayerScoreRows(db: SqlExecutor, playerId: string): Promise<ScoreRow[]> {
  const rows = await db.query<DbScoreRow & { board: string; season: string }>(
    `SELECT board, season, player_id, region, score, (extract(epoch FROM achieved_at) * 1000000)::bigint AS at
       FROM leaderboard_scores WHERE player_id = $1`,
    [playerId],
  );
  return rows.map((r) => ({ board: r.board, season: r.season, playerId: r.player_id, region: r.region, score: Number(r.score), at: Number(r.at) }));
}
