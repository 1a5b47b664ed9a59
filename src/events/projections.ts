// Projections: consumers of the event stream that keep something else up to date (a leaderboard that follows a stat,
// anti-cheat). The runner gives each projection at-least-once delivery in stream order and a stored per-player
// checkpoint (`projection_checkpoints`, on the player's shard), so an event redelivered after a crash is skipped:
// handlers see each (playerId, seq) once in the normal case and must stay idempotent for the rare replay.
//
//   realm.projections.start({ name: 'kills-board', types: ['stat.add'], handle: async (events) => { … } })
import type { Logger } from 'pino';
import type { Consumer, EventBus, StreamEvent } from '../backends/event-bus.js';
import type { SqlShard } from '../backends/postgres/index.js';
import type { Metrics } from '../metrics.js';
import type { ShardRouter } from '../sharding/index.js';

export interface Projection {
  /** Durable name: the stream consumer and the checkpoint are kept under it. 1–64 of A-Z a-z 0-9 _ -. */
  name: string;
  /** Event types it wants; others only move its checkpoint. Default: every type. */
  types?: readonly string[];
  /** Applies new events, in seq order per player. Throwing retries the whole batch. */
  handle: (events: StreamEvent[]) => Promise<void>;
}

export class ProjectionRunner {
  private readonly running = new Map<string, Consumer>();

  constructor(
    private readonly bus: EventBus,
    private readonly shards: readonly SqlShard[],
    private readonly router: ShardRouter,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  async start(projection: Projection): Promise<void> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(projection.name)) throw new Error(`bad projection name "${projection.name}"`);
    if (this.running.has(projection.name)) throw new Error(`projection ${projection.name} is already running`);
    const types = projection.types ? new Set(projection.types) : undefined;
    const consumer = await this.bus.consume(`projection-${projection.name}`, (batch) => this.handleBatch(projection, types, batch), {
      onError: (err) => this.log.warn({ err, projection: projection.name }, 'projection batch failed; retrying'),
    });
    this.running.set(projection.name, consumer);
  }

  private async handleBatch(projection: Projection, types: Set<string> | undefined, batch: StreamEvent[]): Promise<void> {
    const ids = [...new Set(batch.map((e) => e.playerId))];
    const done = new Map<string, number>();
    await this.router.fanOut(ids, async (shard, group) => {
      const rows = await (this.shards[shard] as SqlShard).query<{ player_id: string; seq: number }>(
        'SELECT player_id, seq FROM projection_checkpoints WHERE projection = $1 AND player_id = ANY($2::text[])',
        [projection.name, group],
      );
      for (const r of rows) done.set(r.player_id, Number(r.seq));
    });
    const fresh: StreamEvent[] = [];
    const last = new Map<string, number>();
    let skipped = 0;
    for (const e of batch) {
      const floor = Math.max(done.get(e.playerId) ?? 0, last.get(e.playerId) ?? 0);
      if (e.seq <= floor) {
        skipped++;
        continue;
      }
      last.set(e.playerId, e.seq);
      if (!types || types.has(e.type)) fresh.push(e);
    }
    if (fresh.length > 0) await projection.handle(fresh);
    await this.router.fanOut([...last.keys()], async (shard, group) => {
      await (this.shards[shard] as SqlShard).query(
        `INSERT INTO projection_checkpoints (projection, player_id, seq)
         SELECT $1, * FROM unnest($2::text[], $3::bigint[])
         ON CONFLICT (projection, player_id) DO UPDATE SET seq = GREATEST(projection_checkpoints.seq, excluded.seq)`,
        [projection.name, group, group.map((id) => last.get(id))],
      );
    });
    this.metrics.projectionEvents.labels(projection.name, 'applied').inc(fresh.length);
    if (skipped) this.metrics.projectionEvents.labels(projection.name, 'skipped').inc(skipped);
  }

  async stop(name?: string): Promise<void> {
    const names = name ? [name] : [...this.running.keys()];
    await Promise.all(names.map(async (n) => {
      await this.running.get(n)?.stop();
      this.running.delete(n);
    }));
  }
}
