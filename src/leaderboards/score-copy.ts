// The durable copy of accepted scores: a coalescing queue per shard (the newest row per board, season and player),
// flushed as one unnest upsert per shard every intervalMs, at shutdown, and retried with backoff when the database
// refuses. Like the players' write-behind, a row leaves the queue only if it did not change while its flush ran,
// so nothing accepted is lost while the database is down (unless the process dies). Rebuilds read the queue too.
import type { Logger } from 'pino';
import type { SqlShard } from '../backends/postgres/index.js';
import type { Metrics } from '../metrics.js';
import type { ShardRouter } from '../sharding/index.js';
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

const MAX_BACKOFF_MS = 30_000;

const keyOf = (r: Pick<ScoreRow, 'board' | 'season' | 'playerId'>) => `${r.board}\u0000${r.season}\u0000${r.playerId}`;

export class ScoreCopy {
  private readonly queues: Array<Map<string, ScoreRow>>;
  private readonly flushing: Array<Promise<void> | undefined>;
  private readonly failures: number[];
  private readonly retryAt: number[];
  private readonly options: ScoreCopyOptions;
  private timer: NodeJS.Timeout | undefined;
  private total = 0;

  constructor(
    private readonly shards: readonly SqlShard[],
    private readonly router: ShardRouter,
    options: Partial<ScoreCopyOptions>,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.options = { ...DEFAULT_SCORE_COPY_OPTIONS, ...options };
    this.queues = shards.map(() => new Map());
    this.flushing = shards.map(() => undefined);
    this.failures = shards.map(() => 0);
    this.retryAt = shards.map(() => 0);
  }

  /** Rows accepted and not yet written. */
  get pending(): number {
    return this.total;
  }

  get full(): boolean {
    return this.total >= this.options.maxPending;
  }

  start(): void {
    this.timer ??= setInterval(() => this.flushDue(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Queues the newest state of a player's entry; it replaces a queued one unless that one is newer (a later stamp). */
  record(row: ScoreRow): void {
    const shard = this.router.shardOf(row.playerId);
    const queue = this.queues[shard] as Map<string, ScoreRow>;
    const key = keyOf(row);
    const queued = queue.get(key);
    if (queued && queued.at > row.at) return;
    if (!queued) this.total++;
    queue.set(key, { ...row });
    this.metrics.leaderboardCopyPending.set(this.total);
  }

  /** Queued rows of one board and season (a rebuild merges them over what the database has). */
  pendingFor(board: string, season: string): ScoreRow[] {
    const out: ScoreRow[] = [];
    for (const queue of this.queues) for (const row of queue.values()) if (row.board === board && row.season === season) out.push({ ...row });
    return out;
  }

  private flushDue(): void {
    const now = Date.now();
    this.queues.forEach((queue, i) => {
      if (queue.size > 0 && !this.flushing[i] && now >= (this.retryAt[i] ?? 0)) void this.flushShard(i).catch(() => {});
    });
  }

  /** Flushes one shard now (joining a flush already running). Rejects if the database refused. */
  flushShard(shard: number): Promise<void> {
    const running = this.flushing[shard];
    if (running) return running;
    const run = this.runFlush(shard).finally(() => {
      this.flushing[shard] = undefined;
    });
    this.flushing[shard] = run;
    return run;
  }

  private async runFlush(shard: number): Promise<void> {
    const queue = this.queues[shard] as Map<string, ScoreRow>;
    if (queue.size === 0) return;
    // Copy first: rows replaced during the upsert keep their newer version and stay queued.
    const taken = [...queue.entries()];
    try {
      for (let i = 0; i < taken.length; i += this.options.chunkSize) {
        const chunk = taken.slice(i, i + this.options.chunkSize);
        await upsertScoreRows(this.shards[shard] as SqlShard, chunk.map(([, row]) => row));
        for (const [key, row] of chunk) {
          if (queue.get(key) === row) {
            queue.delete(key);
            this.total--;
          }
        }
        this.metrics.leaderboardCopyFlushed.inc(chunk.length);
      }
      this.failures[shard] = 0;
      this.retryAt[shard] = 0;
    } catch (err) {
      const failures = (this.failures[shard] ?? 0) + 1;
      this.failures[shard] = failures;
      this.retryAt[shard] = Date.now() + Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures);
      this.metrics.leaderboardCopyFailed.inc();
      if (failures === 1 || failures % 20 === 0) this.log.warn({ err, shard, pending: queue.size, failures }, 'leaderboard copy flush failed; will retry');
      // Retry on its own schedule even if the interval is long.
      setTimeout(() => {
        if (queue.size > 0) void this.flushShard(shard).catch(() => {});
      }, Math.max(0, (this.retryAt[shard] ?? 0) - Date.now())).unref();
      throw err;
    } finally {
      this.metrics.leaderboardCopyPending.set(this.total);
    }
  }

  /** Flushes every shard until nothing is queued or `deadline` passed; returns whether everything was written. */
  async flushAll(deadline: number): Promise<boolean> {
    for (;;) {
      const results = await Promise.allSettled(this.shards.map((_, i) => this.flushShard(i)));
      if (this.total === 0) return true;
      if (Date.now() >= deadline) return false;
      if (results.some((r) => r.status === 'rejected')) await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
    }
  }
}
