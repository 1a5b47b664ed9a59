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
import { UnavailableError } from '../errors.js';
import { checkSlotOwnership, slotOf, type ShardRouter } from '../sharding/index.js';

/** How long a checkpoint waits for a move of its slot (a freeze lasts well under a second). */
const CHECKPOINT_DEADLINE_MS = 30_000;

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
    await this.writeCheckpoints(projection.name, last);
    this.metrics.projectionEvents.labels(projection.name, 'applied').inc(fresh.length);
    if (skipped) this.metrics.projectionEvents.labels(projection.name, 'skipped').inc(skipped);
  }

  /**
   * Writes the checkpoints on the shard that owns each player's slot, fenced like a commit: one written to the old
   * shard of a moving slot after the move's last copy would be deleted with the slot's rows (and its events handled
   * again). A frozen slot's checkpoints wait for the switch; a moved slot's go to its new owner.
   */
  private async writeCheckpoints(name: string, last: ReadonlyMap<string, number>): Promise<void> {
    const deadline = Date.now() + CHECKPOINT_DEADLINE_MS;
    let pending = [...last.keys()];
    while (pending.length > 0) {
      const left: string[] = [];
      let moved = false;
      await this.router.fanOut(pending, async (shard, group) => {
        const db = this.shards[shard] as SqlShard;
        // One statement (the write path's cost of a projection batch): the shard's ownership of the slots, not
        // frozen, locked FOR SHARE until it ends, and the checkpoints of those players only.
        const written = await db.query<{ player_id: string }>(
          `WITH owned AS (SELECT slot FROM slot_owner WHERE slot = ANY($4::int[]) AND NOT frozen FOR SHARE)
           INSERT INTO projection_checkpoints (projection, player_id, seq)
           SELECT $1, u.player_id, u.seq FROM unnest($2::text[], $3::bigint[], $4::int[]) AS u(player_id, seq, slot)
            WHERE u.slot IN (SELECT slot FROM owned)
           ON CONFLICT (projection, player_id) DO UPDATE SET seq = GREATEST(projection_checkpoints.seq, excluded.seq)
           RETURNING player_id`,
          [name, group, group.map((id) => last.get(id)), group.map(slotOf)],
        );
        if (written.length === group.length) return;
        const done = new Set(written.map((r) => r.player_id));
        const rest = group.filter((id) => !done.has(id));
        left.push(...rest);
        // Frozen (wait for the switch) or moved (write on the new owner): a look at which, off the common path.
        const fence = await checkSlotOwnership(db, rest.map(slotOf));
        if (fence.moved.size > 0) moved = true;
      });
      if (left.length === 0) return;
      if (Date.now() >= deadline) throw new UnavailableError(`projection ${name}: the slots of ${left.length} players are still moving; retrying the batch`);
      if (moved) await this.router.reload();
      else await new Promise((r) => setTimeout(r, 20));
      pending = left;
    }
  }

  async stop(name?: string): Promise<void> {
    const names = name ? [name] : [...this.running.keys()];
    await Promise.all(names.map(async (n) => {
      await this.running.get(n)?.stop();
      this.running.delete(n);
    }));
  }
}
