// SQL of the trade records (table `trades`, on the shard of the trade id's slot). `status` moves once, from
// 'pending', by compare-and-set: that single row update is the trade's decision.
import type { SqlExecutor } from '../backends/postgres/index.js';
import type { TradeTerms } from './trade-request.js';

export type TradeStatus = 'pending' | 'committed' | 'rejected' | 'rolled_back';

export interface TradeRecord {
  tradeId: string;
  hash: string;
  terms: TradeTerms;
  status: TradeStatus;
  settled: boolean;
  reason: string | null;
  aSeq: number | null;
  bSeq: number | null;
  createdAt: string;
  finishedAt: string | null;
  /** Milliseconds since creation (pending) or since the decision, by the database's clock. */
  ageMs: number;
}

interface Row {
  trade_id: string;
  body_hash: string;
  body: TradeTerms;
  status: TradeStatus;
  settled: boolean;
  reason: string | null;
  a_seq: number | null;
  b_seq: number | null;
  created_at: Date;
  finished_at: Date | null;
  age_ms: number;
}

const COLUMNS = `trade_id, body_hash, body, status, settled, reason, a_seq, b_seq, created_at, finished_at,
  (extract(epoch FROM (now() - coalesce(decided_at, created_at))) * 1000)::float8 AS age_ms`;

function toRecord(r: Row): TradeRecord {
  return {
    tradeId: r.trade_id,
    hash: r.body_hash,
    terms: r.body,
    status: r.status,
    settled: r.settled,
    reason: r.reason,
    aSeq: r.a_seq === null ? null : Number(r.a_seq),
    bSeq: r.b_seq === null ? null : Number(r.b_seq),
    createdAt: r.created_at.toISOString(),
    finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
    ageMs: Number(r.age_ms),
  };
}

/** Inserts a pending record; undefined if the id is taken. */
export async function insertTrade(db: SqlExecutor, tradeId: string, hash: string, terms: TradeTerms): Promise<TradeRecord | undefined> {
  const rows = await db.query<Row>(
    `INSERT INTO trades (trade_id, body_hash, body, status) VALUES ($1, $2, $3::jsonb, 'pending')
     ON CONFLICT (trade_id) DO NOTHING RETURNING ${COLUMNS}`,
    [tradeId, hash, JSON.stringify(terms)],
  );
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function readTrade(db: SqlExecutor, tradeId: string): Promise<TradeRecord | undefined> {
  const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM trades WHERE trade_id = $1`, [tradeId]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Moves a pending trade to its decision; returns the record as it is after (decided by us or by someone else). */
export async function decideTrade(db: SqlExecutor, tradeId: string, status: Exclude<TradeStatus, 'pending'>, reason: string | null): Promise<TradeRecord> {
  const [won] = await db.query<Row>(
    `UPDATE trades SET status = $2, reason = $3, decided_at = now() WHERE trade_id = $1 AND status = 'pending' RETURNING ${COLUMNS}`,
    [tradeId, status, reason],
  );
  if (won) return toRecord(won);
  const after = await readTrade(db, tradeId);
  if (!after) throw new Error(`trade ${tradeId} disappeared`);
  return after;
}

/** Records that every follow-up event is in the logs. */
export async function markSettled(db: SqlExecutor, tradeId: string, aSeq: number | null, bSeq: number | null): Promise<TradeRecord> {
  const [row] = await db.query<Row>(
    `UPDATE trades SET settled = true, a_seq = coalesce(a_seq, $2), b_seq = coalesce(b_seq, $3), finished_at = coalesce(finished_at, now())
      WHERE trade_id = $1 AND status <> 'pending' RETURNING ${COLUMNS}`,
    [tradeId, aSeq, bSeq],
  );
  if (row) return toRecord(row);
  const after = await readTrade(db, tradeId);
  if (!after) throw new Error(`trade ${tradeId} disappeared`);
  return after;
}

/** Trades a crash may have left: pending longer than `pendingMs`, or decided longer than `settleMs` ago and not settled. */
export async function unfinishedTrades(db: SqlExecutor, pendingMs: number, settleMs: number, limit: number): Promise<string[]> {
  const rows = await db.query<{ trade_id: string }>(
    `SELECT trade_id FROM trades
      WHERE NOT settled AND ((status = 'pending' AND created_at < now() - make_interval(secs => $1::float8 / 1000))
         OR (status <> 'pending' AND decided_at < now() - make_interval(secs => $2::float8 / 1000)))
      ORDER BY created_at LIMIT $3`,
    [pendingMs, settleMs, limit],
  );
  return rows.map((r) => r.trade_id);
}
