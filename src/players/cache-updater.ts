// Writes committed states to the player cache. A write that fails (Redis down) is kept, newest state per player,
// and retried in the background, so the cache does not keep an entry older than an acknowledged write once
// Redis is reachable again.
import type { Logger } from 'pino';
import type { CacheWrite, PlayerCache } from '../backends/player-cache.js';
import type { Metrics } from '../metrics.js';
import { stateJson, type PlayerState } from './player-state.js';

const MAX_BACKOFF_MS = 5000;
/** Past this many players waiting for a retry, the oldest are dropped (their entries expire by TTL). */
const MAX_PENDING = 100_000;

export class CacheUpdater {
  private readonly pending = new Map<string, CacheWrite>();
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly cache: PlayerCache, private readonly metrics: Metrics, private readonly log: Logger) {}

  /** Never throws: a failure is remembered and retried. */
  async write(states: readonly PlayerState[]): Promise<void> {
    const entries = states.map((s) => ({ playerId: s.playerId, seq: s.seq, json: stateJson(s) }));
    try {
      await this.cache.setIfNewer(entries);
    } catch (err) {
      this.metrics.cacheWriteFailures.inc(entries.length);
      for (const e of entries) this.remember(e);
      if (this.failures++ % 100 === 0) this.log.warn({ err, pending: this.pending.size }, 'cache write failed; will retry');
      this.scheduleRetry();
    }
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private remember(e: CacheWrite): void {
    const prev = this.pending.get(e.playerId);
    if (prev && prev.seq >= e.seq) return;
    this.pending.delete(e.playerId);
    this.pending.set(e.playerId, e);
    if (this.pending.size > MAX_PENDING) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.failures, 10));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.retry();
    }, delay);
    this.retryTimer.unref();
  }

  private async retry(): Promise<void> {
    const batch = [...this.pending.values()].slice(0, 1000);
    try {
      await this.cache.setIfNewer(batch);
      for (const e of batch) if (this.pending.get(e.playerId) === e) this.pending.delete(e.playerId);
      this.failures = 0;
      if (this.pending.size > 0) void this.retry();
    } catch {
      this.failures++;
      this.scheduleRetry();
    }
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
