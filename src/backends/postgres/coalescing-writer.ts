// Batched, coalescing writes to the shards: one entry per key (a newer value replaces an older one), flushed per
// shard in chunked statements on a period or once a shard holds enough. An entry is removed only if it did not
// change while its flush was in flight, and a failed flush keeps everything and retries with backoff. The
// write-behind of the `players` row and the durable copy of leaderboard scores are both this.
import type { Logger } from 'pino';
import type { SqlExecutor, SqlShard } from './sql-port.js';

/**
 * Keeps a writer's rows on the shard that owns their slot while slots move between shards: each chunk is written in
 * a transaction that first locks (FOR SHARE) the shard's ownership of their slots, so a move's freeze and switch
 * wait for it and every later write sees them. Rows of a frozen slot stay queued for a later flush (the move copies
 * them during its freeze from what is written before it); rows of a slot that moved are queued again on its new
 * owner (after the map is reloaded), instead of landing on the old shard after its last copy, where they would be
 * deleted with it.
 */
export interface WriterFence<V> {
  slotOf: (value: V) => number;
  /** Which of `slots` this shard no longer owns, and which are frozen by a move (locked until the write commits). */
  check: (tx: SqlExecutor, slots: readonly number[]) => Promise<{ moved: ReadonlySet<number>; frozen: ReadonlySet<number> }>;
  /** Reloads the slot map (once for the values of one flush). */
  reload: () => Promise<void>;
  /** The shard index that owns the value's slot now. */
  shardOf: (value: V) => number;
}

export interface CoalescingWriterOptions<V> {
  /** Names the writer in logs. */
  name: string;
  /** Period of the flush. */
  intervalMs: number;
  /** A shard holding this many entries is flushed at once. Default: only on the period. */
  maxPerShard?: number;
  /** Entries per statement. Default 2000. */
  chunkSize?: number;
  /** Writes one chunk to a shard (one statement), or inside the fence's transaction. */
  write: (db: SqlExecutor, values: V[]) => Promise<void>;
  /** When set, rows are written only on the shard that owns their slot (see WriterFence). */
  fence?: WriterFence<V>;
  /** Whether `next` may replace `queued`. Default: always. */
  replaces?: (next: V, queued: V) => boolean;
  /** Told the number of queued entries after every change (a gauge). */
  onPending?: (total: number) => void;
  /** Told each chunk written. */
  onWritten?: (count: number) => void;
  /** Told each failed flush of a shard. */
  onFailed?: () => void;
}

const MAX_BACKOFF_MS = 30_000;

export class CoalescingWriter<V> {
  private readonly queues: Array<Map<string, V>>;
  private readonly flushing: Array<Promise<void> | undefined>;
  private readonly failures: number[];
  private readonly retryAt: number[];
  private readonly lastRun: number[];
  private readonly chunkSize: number;
  private timer: NodeJS.Timeout | undefined;
  private total = 0;
  /** Called after every flush attempt (the player store evicts players that became clean). */
  onFlushed: () => void = () => {};

  constructor(private readonly shards: readonly SqlShard[], private readonly options: CoalescingWriterOptions<V>, private readonly log: Logger) {
    this.queues = shards.map(() => new Map());
    this.flushing = shards.map(() => undefined);
    this.failures = shards.map(() => 0);
    this.retryAt = shards.map(() => 0);
    this.lastRun = shards.map(() => 0);
    this.chunkSize = options.chunkSize ?? 2000;
  }

  start(): void {
    // The first flush is one period after the start, not at the first tick.
    this.lastRun.fill(Date.now());
    this.timer ??= setInterval(() => this.flushDue(), Math.max(10, Math.min(this.options.intervalMs, 1000)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Entries queued and not yet written. */
  get size(): number {
    return this.total;
  }

  has(shard: number, key: string): boolean {
    return this.queues[shard]?.has(key) ?? false;
  }

  /** Every queued value of every shard (a copy). */
  values(): V[] {
    return this.queues.flatMap((q) => [...q.values()]);
  }

  /** Queues `value` under `key`, replacing a queued value if `replaces` allows it. */
  put(shard: number, key: string, value: V): void {
    const queue = this.queues[shard] as Map<string, V>;
    const queued = queue.get(key);
    if (queued !== undefined && this.options.replaces && !this.options.replaces(value, queued)) return;
    queue.set(key, value);
    if (queued === undefined) {
      this.total++;
      this.options.onPending?.(this.total);
    }
    const max = this.options.maxPerShard;
    if (max !== undefined && queue.size >= max && !this.flushing[shard] && Date.now() >= (this.retryAt[shard] ?? 0)) void this.flushShard(shard).catch(() => {});
  }

  private flushDue(): void {
    const now = Date.now();
    this.queues.forEach((queue, i) => {
      if (queue.size > 0 && !this.flushing[i] && now - (this.lastRun[i] ?? 0) >= this.options.intervalMs && now >= (this.retryAt[i] ?? 0)) {
        void this.flushShard(i).catch(() => {});
      }
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
    this.lastRun[shard] = Date.now();
    const queue = this.queues[shard] as Map<string, V>;
    if (queue.size === 0) return;
    // Copy first: entries replaced during the write keep their newer value and stay queued.
    const taken = [...queue.entries()];
    try {
      const moved: Array<[string, V]> = [];
      for (let i = 0; i < taken.length; i += this.chunkSize) {
        const chunk = taken.slice(i, i + this.chunkSize);
        const { written, away } = await this.writeChunk(this.shards[shard] as SqlShard, chunk);
        for (const [key, value] of [...written, ...away]) {
          if (queue.get(key) === value) {
            queue.delete(key);
            this.total--;
          }
        }
        moved.push(...away);
        this.options.onWritten?.(written.length);
      }
      if (moved.length > 0) await this.rehome(shard, moved);
      this.failures[shard] = 0;
      this.retryAt[shard] = 0;
    } catch (err) {
      const failures = (this.failures[shard] ?? 0) + 1;
      this.failures[shard] = failures;
      this.retryAt[shard] = Date.now() + Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures);
      this.options.onFailed?.();
      if (failures === 1 || failures % 20 === 0) this.log.warn({ err, shard, queued: queue.size, failures }, `${this.options.name} flush failed; will retry`);
      // Retry on its own schedule even if the period is long.
      setTimeout(() => {
        if (queue.size > 0) void this.flushShard(shard).catch(() => {});
      }, Math.max(0, (this.retryAt[shard] ?? 0) - Date.now())).unref();
      throw err;
    } finally {
      this.options.onPending?.(this.total);
      this.onFlushed();
    }
  }

  /** Writes a chunk; with a fence, only its values whose slot the shard owns and that no move froze. */
  private async writeChunk(shard: SqlShard, chunk: Array<[string, V]>): Promise<{ written: Array<[string, V]>; away: Array<[string, V]> }> {
    const fence = this.options.fence;
    if (!fence) {
      await this.options.write(shard, chunk.map(([, v]) => v));
      return { written: chunk, away: [] };
    }
    let written: Array<[string, V]> = [];
    let away: Array<[string, V]> = [];
    await shard.transaction(async (tx) => {
      const { moved, frozen } = await fence.check(tx, chunk.map(([, v]) => fence.slotOf(v)));
      written = chunk.filter(([, v]) => !moved.has(fence.slotOf(v)) && !frozen.has(fence.slotOf(v)));
      away = chunk.filter(([, v]) => moved.has(fence.slotOf(v)));
      if (written.length > 0) await this.options.write(tx, written.map(([, v]) => v));
    });
    return { written, away };
  }

  /** Queues values whose slot left `shard` on the shard that owns it now (they stay if the map does not say so yet). */
  private async rehome(shard: number, values: Array<[string, V]>): Promise<void> {
    const fence = this.options.fence as WriterFence<V>;
    await fence.reload().catch((err: unknown) => this.log.warn({ err }, `${this.options.name}: could not reload the slot map`));
    for (const [key, value] of values) {
      let to = shard;
      try {
        to = fence.shardOf(value);
      } catch {
        // The new owner is not listed here: keep the value where it was; a later flush tries again.
      }
      this.put(to, key, value);
    }
  }

  /** Flushes every shard until nothing is queued or `deadline` passed; returns whether everything was written. */
  async flushAll(deadline: number): Promise<boolean> {
    for (;;) {
      const results = await Promise.allSettled(this.shards.map((_, i) => this.flushShard(i)));
      if (this.total === 0) return true;
      if (Date.now() >= deadline) return false;
      // A failing shard: back off. Rows held by a slot a move froze (or whose new owner the map does not name yet): look again shortly.
      const pause = results.some((r) => r.status === 'rejected') ? 500 : 20;
      await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(0, deadline - Date.now()))));
    }
  }
}
