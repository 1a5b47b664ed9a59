// The outbox relay: publishes each shard's outbox rows to the event bus in order and deletes a row only after
// the bus stored it. Rows are read only below the oldest transaction still in flight (pg_snapshot_xmin), so a
// transaction that commits late is published in commit order and never skipped. One process per shard relays
// (a lease); others stand by and take over if it dies.
import type { Logger } from 'pino';
import type { Lease, SqlShard } from '../backends/postgres/index.js';
import type { EventBus, StreamEvent } from '../backends/event-bus.js';
import type { Metrics } from '../metrics.js';

export interface OutboxRelayOptions {
  /** Rows published per round. Default 1000. */
  batchSize: number;
  /** How often an idle relay looks for rows written by other processes. Default 100 ms. */
  pollMs: number;
  /** How often a standby process tries to take a shard's lease. Default 2000 ms. */
  leaseRetryMs: number;
  /** How often the lag metrics are refreshed. Default 2000 ms. */
  lagEveryMs: number;
}

export const DEFAULT_RELAY_OPTIONS: Readonly<OutboxRelayOptions> = Object.freeze({ batchSize: 1000, pollMs: 100, leaseRetryMs: 2000, lagEveryMs: 2000 });

/** Lease key of the relay of a shard; the same in every process. */
const RELAY_LEASE_KEY = 72_616_100;
const MAX_BACKOFF_MS = 5000;

interface OutboxRow {
  id: number;
  player_id: string;
  seq: number;
  type: string;
  data: unknown;
  recorded_at: Date;
}

class ShardRelay {
  private lease: Lease | undefined;
  private wakeUp: (() => void) | undefined;
  private pending = false;
  private failures = 0;
  private lastLag = 0;
  running = true;
  readonly done: Promise<void>;

  constructor(
    private readonly shard: SqlShard,
    private readonly bus: EventBus,
    private readonly options: OutboxRelayOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.done = this.loop();
  }

  wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    }).finally(() => {
      this.wakeUp = undefined;
      this.pending = false;
    });
  }

  private async loop(): Promise<void> {
    const label = String(this.shard.index);
    while (this.running) {
      try {
        if (!this.lease?.held()) {
          this.lease = await this.shard.tryLease(RELAY_LEASE_KEY);
          if (!this.lease) {
            await this.sleep(this.options.leaseRetryMs);
            continue;
          }
          this.log.info({ shard: this.shard.index }, 'relaying the outbox of this shard');
        }
        await this.refreshLag(label);
        const published = await this.relayOnce(label);
        this.failures = 0;
        if (published < this.options.batchSize) await this.sleep(this.options.pollMs);
      } catch (err) {
        this.failures++;
        if (this.failures === 1 || this.failures % 20 === 0) this.log.warn({ err, shard: this.shard.index, failures: this.failures }, 'outbox relay round failed; retrying');
        this.metrics.outboxPublishFailures.labels(label).inc();
        await this.sleep(Math.min(MAX_BACKOFF_MS, 50 * 2 ** this.failures));
        this.pending = false;
      }
    }
    await this.lease?.release();
  }

  /** Publishes one batch; returns how many rows it published. */
  private async relayOnce(label: string): Promise<number> {
    const rows = await this.shard.query<OutboxRow>(
      `SELECT o.id, o.player_id, o.seq, e.type, e.data, e.recorded_at
         FROM outbox o JOIN player_events e ON e.player_id = o.player_id AND e.seq = o.seq
        WHERE o.tx < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY o.id
        LIMIT $1`,
      [this.options.batchSize],
    );
    if (rows.length === 0) return 0;
    const events: StreamEvent[] = rows.map((r) => ({ playerId: r.player_id, seq: Number(r.seq), type: r.type, data: r.data, recordedAt: r.recorded_at.toISOString() }));
    await this.bus.publish(events);
    // The lease may have been lost while publishing; the rows were published either way (ids deduplicate).
    await this.shard.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
    this.metrics.outboxPublished.labels(label).inc(rows.length);
    return rows.length;
  }

  private async refreshLag(label: string): Promise<void> {
    if (Date.now() - this.lastLag < this.options.lagEveryMs) return;
    this.lastLag = Date.now();
    const [row] = await this.shard.query<{ n: number; age: number | null }>(
      'SELECT count(*)::int AS n, extract(epoch FROM now() - min(created_at))::float8 AS age FROM outbox',
    );
    this.metrics.outboxLagRows.labels(label).set(row?.n ?? 0);
    this.metrics.outboxLagSeconds.labels(label).set(row?.age ?? 0);
  }

  /** Publishes until the outbox is empty or `deadline` passes. */
  async drain(deadline: number): Promise<boolean> {
    const label = String(this.shard.index);
    while (Date.now() < deadline) {
      if (!this.lease?.held()) return true; // someone else relays this shard
      try {
        if ((await this.relayOnce(label)) === 0) return true;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    return false;
  }
}

export class OutboxRelay {
  private readonly relays: ShardRelay[];

  constructor(shards: readonly SqlShard[], bus: EventBus, metrics: Metrics, log: Logger, options: Partial<OutboxRelayOptions> = {}) {
    const full = { ...DEFAULT_RELAY_OPTIONS, ...options };
    this.relays = shards.map((s) => new ShardRelay(s, bus, full, metrics, log));
  }

  /** Tells the relay of a shard that rows were just committed there. */
  wake(shard: number): void {
    this.relays[shard]?.wake();
  }

  /** Publishes what is left (until `deadline`) and stops. */
  async close(deadline = Date.now() + 5000): Promise<boolean> {
    for (const r of this.relays) r.running = false;
    for (const r of this.relays) r.wake();
    const drained = await Promise.all(this.relays.map((r) => r.drain(deadline)));
    await Promise.all(this.relays.map((r) => r.done));
    return drained.every(Boolean);
  }
}
