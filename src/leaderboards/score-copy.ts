// The durable copy of accepted scores: the newest row per board, season and player, queued per shard and written as
// one unnest upsert per shard every intervalMs, at shutdown, and retried with backoff when the database refuses
// (see CoalescingWriter). Nothing accepted is lost while the database is down (unless the process dies), and
// rebuilds read the queue too.
import type { Logger } from 'pino';
import { CoalescingWriter } from '../backends/postgres/coalescing-writer.js';
import type { SqlShard } from '../backends/postgres/index.js';
import type { Metrics } from '../metrics.js';
import { playerRowsFence, type ShardRouter } from '../sharding/index.js';
import { upsertScoreRows, type ScoreRow } from './score-rows.js';

export interface ScoreCopyOptions {
  /** Period of the flush. Default 1000 ms. */
  intervalMs: number;
  /** Rows per upsert statement. Default 2000. */
  chunkSize: number;
  /** Past this many queued rows, new submissions get 503 instead of growing memory. Default 100000. */
  maxPending: number;
}

export const DEFAULT_SCORE_COPY_OPTIONS: Readonly<ScoreCopyOptions> = Object.freeze({ intervalMs: 1000, chunkSize: 2000, maxPending: 100_000 });

const keyOf = (r: Pick<ScoreRow, 'board' | 'season' | 'playerId'>) => `${r.board}\u0000${r.season}\u0000${r.playerId}`;

export class ScoreCopy {
  private readonly writer: CoalescingWriter<ScoreRow>;
  private readonly options: ScoreCopyOptions;

  constructor(shards: readonly SqlShard[], private readonly router: ShardRouter, options: Partial<ScoreCopyOptions>, metrics: Metrics, log: Logger) {
    this.options = { ...DEFAULT_SCORE_COPY_OPTIONS, ...options };
    this.writer = new CoalescingWriter<ScoreRow>(
      shards,
      {
        name: 'leaderboard copy',
        intervalMs: this.options.intervalMs,
        chunkSize: this.options.chunkSize,
        // A queued row with a later stamp is newer than the one offered.
        replaces: (next, queued) => queued.at <= next.at,
        write: (db, rows) => upsertScoreRows(db, rows),
        // A copy written to the old shard after a move's last copy of the slot would be deleted with its rows.
        fence: playerRowsFence<ScoreRow>(router, (row) => row.playerId),
        onPending: (n) => metrics.leaderboardCopyPending.set(n),
        onWritten: (n) => metrics.leaderboardCopyFlushed.inc(n),
        onFailed: () => metrics.leaderboardCopyFailed.inc(),
      },
      log,
    );
  }

  /** Rows accepted and not yet written. */
  get pending(): number {
    return this.writer.size;
  }

  get full(): boolean {
    return this.writer.size >= this.options.maxPending;
  }

  start(): void {
    this.writer.start();
  }

  stop(): void {
    this.writer.stop();
  }

  /**
   * Queues the newest state of a player's entry; it replaces a queued one unless that one is newer (a later stamp).
   * The copy keeps `row` itself: the caller hands over a row it made for this and does not touch it again.
   */
  record(row: ScoreRow): void {
    this.writer.put(this.router.shardOf(row.playerId), keyOf(row), row);
  }

  /** Queued rows of one board and season (a rebuild merges them over what the database has). */
  pendingFor(board: string, season: string): ScoreRow[] {
    return this.writer.values().filter((row) => row.board === board && row.season === season).map((row) => ({ ...row }));
  }

  /** The queued row of one player, if any. */
  pendingOf(board: string, season: string, playerId: string): ScoreRow | undefined {
    const row = this.writer.values().find((r) => r.board === board && r.season === season && r.playerId === playerId);
    return row && { ...row };
  }

  /** Flushes one shard now (joining a flush already running). Rejects if the database refused. */
  flushShard(shard: number): Promise<void> {
    return this.writer.flushShard(shard);
  }

  /** Flushes every shard until nothing is queued or `deadline` passed; returns whether everything was written. */
  flushAll(deadline: number): Promise<boolean> {
    return this.writer.flushAll(deadline);
  }
}
