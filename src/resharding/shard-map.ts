// This instance's view of the durable slot map: loaded at start (refusing a URL list that misses a shard owning
// slots), reloaded when a commit's fence says it is stale, when a new epoch is announced, or when the poll of the
// shards' epochs sees one. Also finishes or undoes slot moves whose mover died.
import type { Logger } from 'pino';
import type { Broadcast } from '../backends/broadcast-port.js';
import { connectNats } from '../backends/nats/nats-connection.js';
import { NatsBroadcast } from '../backends/nats/nats-broadcast.js';
import type { SqlCluster } from '../backends/postgres/index.js';
import { RedisBroadcast } from '../backends/redis/redis-broadcast.js';
import type { Metrics } from '../metrics.js';
import type { Settings } from '../settings.js';
import { loadSlotMap, ShardRouter } from '../sharding/index.js';
import { ShardMover, type ShardMoverOptions } from './shard-mover.js';

/** How often the shards' epochs (and moves left in flight) are looked at. */
const POLL_MS = 1000;
/** How often a slot move left in flight may be picked up by this instance. */
const RECOVER_EVERY_MS = 3000;

export interface ShardMapHandle {
  router: ShardRouter;
  mover: ShardMover;
  /** The epoch, and the move running in this process, for /readyz. */
  details(): { epoch: number; move: string | null };
  close(): Promise<void>;
}

export async function openShardMap(sql: SqlCluster, settings: Settings, log: Logger, metrics: Metrics, moverOptions: Partial<ShardMoverOptions> = {}): Promise<ShardMapHandle> {
  const loaded = await loadSlotMap(sql);
  const router = new ShardRouter(loaded.map, loaded.ids, loaded.epoch);
  metrics.shardEpoch.set(loaded.epoch);
  router.reloader = async () => {
    const next = await loadSlotMap(sql, { tolerateDown: true, knownIds: router.shardIds });
    if (router.update(next.map, next.epoch, next.ids)) {
      metrics.shardEpoch.set(next.epoch);
      log.info({ epoch: next.epoch }, 'slot map reloaded');
    }
  };
  const broadcast = await openBroadcast(settings, log);
  await broadcast?.subscribe((message) => {
    if (Number(message) > router.epoch) void router.reload().catch((err: unknown) => log.warn({ err }, 'slot map reload failed'));
  });
  const mover = new ShardMover(sql, metrics, log, { announce: broadcast ? (epoch) => broadcast.publish(String(epoch)) : undefined, ...moverOptions });

  let lastRecover = 0;
  let polling = false;
  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      let epoch = 0;
      let inFlight = 0;
      for (const shard of sql.shards) {
        const [row] = await shard
          .query<{ epoch: unknown; moves: number }>("SELECT (SELECT value FROM realmstate_meta WHERE key = 'epoch') AS epoch, (SELECT count(*) FROM slot_moves)::int AS moves")
          .catch(() => []);
        if (!row) continue;
        epoch = Math.max(epoch, typeof row.epoch === 'number' ? row.epoch : 0);
        inFlight += row.moves;
      }
      if (epoch > router.epoch) await router.reload();
      if (inFlight > 0 && !mover.current && Date.now() - lastRecover >= RECOVER_EVERY_MS) {
        lastRecover = Date.now();
        const handled = await mover.recover();
        if (handled > 0) await router.reload();
      }
    } catch (err) {
      log.warn({ err }, 'slot map poll failed');
    } finally {
      polling = false;
    }
  };
  const timer = setInterval(() => void poll(), POLL_MS);
  timer.unref();

  return {
    router,
    mover,
    details: () => {
      const move = mover.current;
      return { epoch: router.epoch, move: move ? `${move.kind} ${move.state}: ${move.slotsDone}/${move.slotsTotal} slots, ${move.rowsCopied} rows` : null };
    },
    close: async () => {
      clearInterval(timer);
      if (mover.current) await mover.cancel().catch(() => {});
      await broadcast?.close().catch(() => {});
    },
  };
}

/** New epochs are announced the way the game config announces changes: Redis when there is one, else NATS. */
async function openBroadcast(settings: Settings, log: Logger): Promise<Broadcast | undefined> {
  if (settings.redisUrl) return new RedisBroadcast(settings.redisUrl, `${settings.redisKeyPrefix}shards`);
  if (settings.natsUrl) {
    try {
      return new NatsBroadcast(await connectNats(settings.natsUrl, { name: 'realmstate-shards' }), 'realmstate.shards', { ownsConnection: true });
    } catch (err) {
      log.warn({ err }, 'NATS is not reachable; new slot map epochs are found by polling only');
    }
  }
  return undefined;
}
