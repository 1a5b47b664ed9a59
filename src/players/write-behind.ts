// Write-behind of the `players` row: a coalescing dirty set per shard, flushed as one batched upsert per shard
// every writeBehindIntervalMs or once writeBehindMaxDirty players are dirty. Unlike the seed's Range-then-Delete,
// an entry is removed only if it did not change while its flush was in flight, and a failed flush keeps it.
import type { Logger } from 'pino';
import type { SqlShard } from '../backends/postgres/index.js';
import type { Metrics } from '../metrics.js';
import type { PlayerState } from './player-state.js';
import { upsertPlayerRows } from './state-rows.js';

export interface WriteBehindOptions {
  intervalMs: number;
  maxDirty: number;
  /** Rows per upsert statement. Default 2000. */
  chunkSize?: number;
}

const MAX_BACKOFF_MS = 30_000;

export class WriteBehind {
  private readonly dirty: Array<Map<string, PlayerState>>;
  private readonly flushing: Array<Promise<void> | undefined>;
  private readonly failures: number[];
  private readonly retryAt: number[];
  private timer: NodeJS.Timeout | undefined;
  private total = 0;
  private readonly chunkSize: number;
  /** Called after rows were flushed, so the store can evict players that became clean. */
  onFlushed: () => void = () => {};

  constructor(
    private readonly shards: readonly SqlShard[],
    private readonly options: WriteBehindOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.dirty = shards.map(() => new Map());
    this.flushing = shards.map(() => undefined);
    this.failures = shards.map(() => 0);
    this.retryAt = shards.map(() => 0);
    this.chunkSize = options.chunkSize ?? 2000;
  }

  start(): void {
    // The first flush is one interval after the start, not at the first tick.
    const now = Date.now();
    this.shards.forEach((_, i) => (this.lastRun[i] ??= now));
    this.timer ??= setInterval(() => this.flushDue(), Math.max(10, Math.min(this.options.intervalMs, 1000)));
    this.timer.unref();
  }

  private lastRun: number[] = [];

  private flushDue(): void {
    const now = Date.now();
    this.shards.forEach((_, i) => {
      const last = this.lastRun[i] ?? 0;
      if (this.dirty[i]?.size && now - last >= this.options.intervalMs && now >= (this.retryAt[i] ?? 0)) void this.flushShard(i);
    });
  }

  /** Players whose row is not yet written. */
  get size(): number {
    return this.total;
  }

  isDirty(shard: number, playerId: string): boolean {
    return this.dirty[shard]?.has(playerId) ?? false;
  }

  /** Records a committed state; a newer seq replaces an older one, never the reverse. */
  markDirty(shard: number, state: PlayerState): void {
    const map = this.dirty[shard] as Map<string, PlayerState>;
    const prev = map.get(state.playerId);
    if (prev && prev.seq >= state.seq) return;
    if (!prev) this.total++;
    map.set(state.playerId, state);
    this.metrics.writeBehindPending.set(this.total);
    if (map.size >= this.options.maxDirty && !this.flushing[shard] && Date.now() >= (this.retryAt[shard] ?? 0)) void this.flushShard(shard);
  }

  /** Flushes one shard now (joining a flush already running). Rejects if the database refused. */
  flushShard(shard: number): Promise<void> {
    const running = this.flushing[shard];
    if (running) return running;
    const run = this.runFlush(shard).finally(() => {
      this.flushing[shard] = undefined;
    });
    this.flushing[shard] = run;
    run.catch(() => {});
    return run;
  }

  private async runFlush(shard: number): Promise<void> {
    this.lastRun[shard] = Date.now();
    const map = this.dirty[shard] as Map<string, PlayerState>;
    if (map.size === 0) return;
    // Copy first: entries changed during the upsert keep their newer state and stay dirty.
    const taken = [...map.values()];
    const db = this.shards[shard] as SqlShard;
    try {
      for (let i = 0; i < taken.length; i += this.chunkSize) {
        const chunk = taken.slice(i, i + this.chunkSize);
        await upsertPlayerRows(db, chunk);
        this.metrics.writeBehindStatements.inc();
        for (const state of chunk) {
          if (map.get(state.playerId) === state) {
            map.delete(state.playerId);
            this.total--;
          }
        }
        this.metrics.writeBehindFlushed.inc(chunk.length);
      }
      this.failures[shard] = 0;
      this.retryAt[shard] = 0;
    } catch (err) {
      const failures = (this.failures[shard] ?? 0) + 1;
      this.failures[shard] = failures;
      this.retryAt[shard] = Date.now() + Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures);
      this.metrics.writeBehindFailed.inc();
      this.log.warn({ err, shard, dirty: map.size, failures }, 'write-behind flush failed; will retry');
      // Retry on its own schedule even if the interval is long.
      setTimeout(() => {
        if (map.size > 0) void this.flushShard(shard);
      }, (this.retryAt[shard] ?? 0) - Date.now()).unref();
      throw err;
    } finally {
      this.metrics.writeBehindPending.set(this.total);
      this.onFlushed();
    }
  }

  /** Flushes every shard until clean or `deadline`; returns whether everything was written. */
  async flushAll(deadline: number): Promise<boolean> {
    for (;;) {
      const results = await Promise.allSettled(this.shards.map((_, i) => this.flushShard(i)));
      if (this.total === 0) return true;
      if (Date.now() >= deadline) return false;
      if (results.some((r) => r.status === 'rejected')) await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
