// The economy's books as a stream projection, kept on shard 0 (`economy_players`, `economy_escrow`). Each player's
// row says how far in its log the books are, and is moved in the same transaction as what the events changed, so a
// redelivered event is skipped exactly; an event that arrives ahead of an earlier one of its player (two instances
// share the consumer, or the books start on an existing log) is preceded by the missing ones read from the log.
import type { Logger } from 'pino';
import type { SqlCluster, SqlExecutor, SqlShard } from '../backends/postgres/index.js';
import { readEvents } from '../events/event-log.js';
import type { Projection, StreamEvent } from '../events/index.js';
import type { ShardRouter } from '../sharding/index.js';
import { addEscrowMoves, applyToBook, emptyBook, escrowKey, reviveBook, totalsOf, type EconomyTotals, type EscrowMove, type EscrowSide, type PlayerBook } from './ledger.js';

export interface EconomyReport extends EconomyTotals {
  /** Events of the players' logs the books include (the sum of each player's seq in the books), as a decimal string. */
  position: string;
}

export const ECONOMY_PROJECTION = 'economy';
/** Events read from a log at once when the books catch up on a player. */
const CATCH_UP_PAGE = 1000;

interface LogEvent {
  seq: number;
  type: string;
  data: unknown;
}

export class EconomyBooks {
  private readonly books: SqlShard;

  constructor(
    private readonly sql: SqlCluster,
    private readonly router: ShardRouter,
    private readonly log: Logger,
  ) {
    this.books = sql.shards[router.homeIndex()] as SqlShard;
  }

  projection(): Projection {
    return { name: ECONOMY_PROJECTION, handle: (events) => this.apply(events) };
  }

  /** Applies stream events (any order across players, at least once); throwing makes the runner retry the batch. */
  async apply(events: readonly StreamEvent[]): Promise<void> {
    const byPlayer = new Map<string, LogEvent[]>();
    for (const e of events) {
      const list = byPlayer.get(e.playerId) ?? [];
      list.push({ seq: e.seq, type: e.type, data: e.data });
      byPlayer.set(e.playerId, list);
    }
    const ids = [...byPlayer.keys()].sort();
    // Catch up from the log before the transaction (the embedded database runs one transaction at a time).
    const known = await this.seqs(this.books, ids);
    await Promise.all(
      ids.map(async (id) => {
        const list = (byPlayer.get(id) as LogEvent[]).sort((x, y) => x.seq - y.seq);
        const from = known.get(id) ?? 0;
        const fresh = list.filter((e) => e.seq > from);
        const last = fresh.at(-1)?.seq ?? from;
        // Not contiguous after what the books have (events went to another consumer, or the books start late):
        // the log is the authority, the stream only says the player moved.
        if (fresh.length !== last - from) byPlayer.set(id, await this.readLog(id, from, last));
      }),
    );
    await this.books.transaction(async (tx) => {
      await tx.query("INSERT INTO economy_players (player_id, seq, book) SELECT id, 0, '{}'::jsonb FROM unnest($1::text[]) AS id ON CONFLICT DO NOTHING", [ids]);
      const rows = await tx.query<{ player_id: string; seq: number; book: Partial<PlayerBook> }>(
        'SELECT player_id, seq, book FROM economy_players WHERE player_id = ANY($1::text[]) ORDER BY player_id FOR UPDATE',
        [ids],
      );
      const moves: EscrowMove[] = [];
      const changed: Array<{ id: string; seq: number; book: PlayerBook }> = [];
      for (const row of rows) {
        let seq = Number(row.seq);
        const book = reviveBook(row.book);
        for (const e of byPlayer.get(row.player_id) ?? []) {
          if (e.seq <= seq) continue;
          // Another consumer moved the row past the catch-up read: the batch is retried with a fresh read.
          if (e.seq !== seq + 1) throw new Error(`economy books: player ${row.player_id} is at ${seq}, next event is ${e.seq}`);
          moves.push(...applyToBook(book, row.player_id, e.type, e.data));
          seq = e.seq;
        }
        if (seq !== Number(row.seq)) changed.push({ id: row.player_id, seq, book });
      }
      if (changed.length > 0) {
        await tx.query(
          'UPDATE economy_players p SET seq = u.seq, book = u.book FROM unnest($1::text[], $2::bigint[], $3::jsonb[]) AS u(id, seq, book) WHERE p.player_id = u.id',
          [changed.map((c) => c.id), changed.map((c) => c.seq), changed.map((c) => JSON.stringify(c.book))],
        );
      }
      await this.writeEscrow(tx, moves);
    });
  }

  private async writeEscrow(tx: SqlExecutor, moves: readonly EscrowMove[]): Promise<void> {
    if (moves.length === 0) return;
    const sides = new Map<string, { tradeId: string; giver: string; goods: string; ins: number; outs: number }>();
    for (const m of moves) {
      const key = escrowKey(m.tradeId, m.giver);
      const s = sides.get(key) ?? { tradeId: m.tradeId, giver: m.giver, goods: JSON.stringify(m.goods), ins: 0, outs: 0 };
      if (m.dir === 'in') s.ins++;
      else s.outs++;
      sides.set(key, s);
    }
    const list = [...sides.values()].sort((x, y) => (x.tradeId + x.giver < y.tradeId + y.giver ? -1 : 1));
    const cols = [list.map((s) => s.tradeId), list.map((s) => s.giver), list.map((s) => s.goods), list.map((s) => s.ins), list.map((s) => s.outs)];
    await tx.query(
      `INSERT INTO economy_escrow AS e (trade_id, giver, goods, ins, outs)
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::bigint[], $5::bigint[])
       ON CONFLICT (trade_id, giver) DO UPDATE SET ins = e.ins + excluded.ins, outs = e.outs + excluded.outs, goods = coalesce(e.goods, excluded.goods)`,
      cols,
    );
    // A side whose holds all left is done; a later out (a duplicate) makes a new row and shows in the books.
    await tx.query(
      `DELETE FROM economy_escrow e USING unnest($1::text[], $2::text[]) AS k(trade_id, giver)
        WHERE e.trade_id = k.trade_id AND e.giver = k.giver AND e.ins > 0 AND e.ins = e.outs`,
      [cols[0], cols[1]],
    );
  }

  /** The books as the projection has them. */
  async report(): Promise<EconomyReport> {
    const players = await this.books.query<{ seq: number; book: Partial<PlayerBook> }>('SELECT seq, book FROM economy_players');
    const escrow = await this.books.query<{ goods: EscrowSide['goods']; ins: number; outs: number }>('SELECT goods, ins, outs FROM economy_escrow');
    const position = players.reduce((n, p) => n + BigInt(p.seq), 0n);
    const totals = totalsOf(
      players.map((p) => reviveBook(p.book)),
      escrow.map((e) => ({ goods: e.goods, ins: Number(e.ins), outs: Number(e.outs) })),
    );
    return { position: position.toString(), ...totals };
  }

  /** The books computed again from every shard's event log, without the projection: they must equal `report()`. */
  async rebuild(): Promise<EconomyReport> {
    const books: PlayerBook[] = [];
    const escrow = new Map<string, EscrowSide>();
    let position = 0n;
    for (const shard of this.sql.shards) {
      let after = '';
      for (;;) {
        // One page of players at a time keeps memory to one page of events plus the books.
        const ids = (await shard.query<{ player_id: string }>('SELECT DISTINCT player_id FROM player_events WHERE player_id > $1 ORDER BY player_id LIMIT 500', [after])).map((r) => r.player_id);
        if (ids.length === 0) break;
        after = ids.at(-1) as string;
        const rows = await shard.query<{ player_id: string; seq: number; type: string; data: unknown }>(
          'SELECT player_id, seq, type, data FROM player_events WHERE player_id = ANY($1::text[]) ORDER BY player_id, seq',
          [ids],
        );
        let current: { id: string; book: PlayerBook } | undefined;
        for (const r of rows) {
          if (current?.id !== r.player_id) {
            current = { id: r.player_id, book: emptyBook() };
            books.push(current.book);
          }
          addEscrowMoves(escrow, applyToBook(current.book, r.player_id, r.type, r.data));
          position++;
        }
      }
    }
    return { position: position.toString(), ...totalsOf(books, escrow.values()) };
  }

  private async seqs(db: SqlExecutor, ids: readonly string[]): Promise<Map<string, number>> {
    const rows = await db.query<{ player_id: string; seq: number }>('SELECT player_id, seq FROM economy_players WHERE player_id = ANY($1::text[])', [ids]);
    return new Map(rows.map((r) => [r.player_id, Number(r.seq)]));
  }

  private async readLog(playerId: string, after: number, upTo: number): Promise<LogEvent[]> {
    const shard = this.sql.shards[this.router.shardOf(playerId)] as SqlShard;
    const out: LogEvent[] = [];
    for (let from = after; from < upTo; ) {
      const page = await readEvents(shard, playerId, from, CATCH_UP_PAGE, upTo);
      if (page.length === 0) break;
      out.push(...page);
      from = (page.at(-1) as LogEvent).seq;
    }
    if (out.length > 0) this.log.debug({ playerId, events: out.length }, 'economy books caught up from the log');
    return out;
  }
}
