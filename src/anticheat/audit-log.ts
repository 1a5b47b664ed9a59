// The admin audit trail (shard 0's admin_audit): who (which key), what, on what, with which outcome.
import type { SqlExecutor } from '../backends/postgres/index.js';

export interface AuditEntry {
  at: string;
  key: 'admin' | 'game';
  action: string;
  target: string | null;
  outcome: string;
}

export class AuditLog {
  constructor(private readonly db: SqlExecutor) {}

  async record(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    await this.db.query('INSERT INTO admin_audit (key_kind, action, target, outcome) VALUES ($1, $2, $3, $4)', [entry.key, entry.action, entry.target, entry.outcome]);
  }

  /** Newest first. */
  async list(limit: number): Promise<AuditEntry[]> {
    const rows = await this.db.query<{ at: Date | string; key_kind: AuditEntry['key']; action: string; target: string | null; outcome: string }>(
      'SELECT at, key_kind, action, target, outcome FROM admin_audit ORDER BY id DESC LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({ at: new Date(r.at).toISOString(), key: r.key_kind, action: r.action, target: r.target, outcome: r.outcome }));
  }
}
