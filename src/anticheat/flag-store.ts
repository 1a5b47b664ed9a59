// Flags for review: the port the anti-cheat service uses, and its SQL implementation (shard 0's anticheat_flags).
import type { SqlExecutor } from '../backends/postgres/index.js';

export type FlagStatus = 'open' | 'cleared' | 'banned';

/** A score kept out of its board until its flag is cleared. */
export interface HeldScore {
  board: string;
  season: string;
  region: string | null;
  score: number;
}

export interface Flag {
  id: string;
  playerId: string;
  /** The rule that decided the action (details.rules lists every rule that fired). */
  rule: string;
  action: 'flag' | 'quarantine';
  status: FlagStatus;
  details: Record<string, unknown>;
  /** ISO time the flag was raised. */
  at: string;
}

export interface NewFlag {
  playerId: string;
  rule: string;
  action: Flag['action'];
  details: Record<string, unknown>;
  held?: HeldScore;
}

export interface FlagQuery {
  status?: FlagStatus;
  playerId?: string;
  limit: number;
}

export interface FlagStore {
  add(flag: NewFlag): Promise<Flag>;
  list(query: FlagQuery): Promise<Flag[]>;
  /** Sets an open flag's status; returns the flag and its held score, or undefined when there is no such flag. Idempotent on a flag already in that status. */
  resolve(id: string, status: Exclude<FlagStatus, 'open'>): Promise<{ flag: Flag; held: HeldScore | undefined; changed: boolean } | undefined>;
  /** Opens a flag again (its clear could not be completed). */
  reopen(id: string): Promise<void>;
  /** Marks every open flag of the player `banned` (their held scores stay held). */
  closeForBan(playerId: string): Promise<number>;
}

interface FlagRow {
  id: string | number;
  player_id: string;
  rule: string;
  action: Flag['action'];
  status: FlagStatus;
  details: Record<string, unknown>;
  held: HeldScore | null;
  at: Date | string;
}

const COLUMNS = 'id, player_id, rule, action, status, details, held, at';

function toFlag(row: FlagRow): Flag {
  return { id: String(row.id), playerId: row.player_id, rule: row.rule, action: row.action, status: row.status, details: row.details, at: new Date(row.at).toISOString() };
}

export class SqlFlagStore implements FlagStore {
  constructor(private readonly db: SqlExecutor) {}

  async add(flag: NewFlag): Promise<Flag> {
    const [row] = await this.db.query<FlagRow>(
      `INSERT INTO anticheat_flags (player_id, rule, action, status, details, held) VALUES ($1, $2, $3, 'open', $4::jsonb, $5::jsonb) RETURNING ${COLUMNS}`,
      [flag.playerId, flag.rule, flag.action, JSON.stringify(flag.details), flag.held ? JSON.stringify(flag.held) : null],
    );
    return toFlag(row as FlagRow);
  }

  async list(query: FlagQuery): Promise<Flag[]> {
    const rows = await this.db.query<FlagRow>(
      `SELECT ${COLUMNS} FROM anticheat_flags
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR player_id = $2)
        ORDER BY id DESC LIMIT $3`,
      [query.status ?? null, query.playerId ?? null, query.limit],
    );
    return rows.map(toFlag);
  }

  async resolve(id: string, status: Exclude<FlagStatus, 'open'>): Promise<{ flag: Flag; held: HeldScore | undefined; changed: boolean } | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const [changed] = await this.db.query<FlagRow>(
      `UPDATE anticheat_flags SET status = $2, cleared_at = now() WHERE id = $1 AND status = 'open' RETURNING ${COLUMNS}`,
      [id, status],
    );
    if (changed) return { flag: toFlag(changed), held: changed.held ?? undefined, changed: true };
    const [row] = await this.db.query<FlagRow>(`SELECT ${COLUMNS} FROM anticheat_flags WHERE id = $1`, [id]);
    return row ? { flag: toFlag(row), held: row.held ?? undefined, changed: false } : undefined;
  }

  async reopen(id: string): Promise<void> {
    await this.db.query("UPDATE anticheat_flags SET status = 'open', cleared_at = NULL WHERE id = $1", [id]);
  }

  async closeForBan(playerId: string): Promise<number> {
    const rows = await this.db.query(`UPDATE anticheat_flags SET status = 'banned', cleared_at = now() WHERE player_id = $1 AND status = 'open' RETURNING id`, [playerId]);
    return rows.length;
  }
}
