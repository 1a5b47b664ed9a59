// The read side: a player's state from the nearest source that is not older than any acknowledged write,
// the event log page by page, and the state at any seq by replay.
//
// Eventual reads go memory → cache → replica → primary:
// - With a shared cache (Redis) the cache entry is the freshness bound: every `sync` append updated it (newer seq
//   only) before it was acknowledged. Memory is served only if it is at least as new as the cache entry; on a miss
//   the replica is served only if it has caught up with the primary's latest seq for that player.
// - With the in-process cache there is one writer process, so its memory is the newest and is served first.
// Strong reads load the latest snapshot/row plus the events after it from the primary.
import type { Logger } from 'pino';
import type { PlayerCache } from '../backends/player-cache.js';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import type { SqlCluster, SqlShard } from '../backends/postgres/index.js';
import { currentSeqs, readEvents } from '../events/event-log.js';
import type { Metrics } from '../metrics.js';
import type { ShardRouter } from '../sharding/index.js';
import type { CacheUpdater } from './cache-updater.js';
import type { RecordedEvent } from './player-events.js';
import { reviveState, stateJson, type PlayerState } from './player-state.js';
import { assertPlayerId, type PlayerStore } from './player-store.js';
import { replay } from './reducers.js';
import { loadPlayers } from './state-rows.js';

export type ReadSource = 'memory' | 'cache' | 'replica' | 'primary';
export type Consistency = 'eventual' | 'strong';

/** A player as read: the state document (parsed on demand) and its JSON text (made on demand). */
export class PlayerRead {
  private parsed: PlayerState | undefined;
  private text: string | undefined;

  constructor(readonly source: ReadSource, readonly seq: number, init: { state?: PlayerState; json?: string }) {
    this.parsed = init.state;
    this.text = init.json;
  }

  get state(): PlayerState {
    this.parsed ??= reviveState(JSON.parse(this.text as string) as PlayerState);
    return this.parsed;
  }

  get json(): string {
    this.text ??= stateJson(this.parsed as PlayerState);
    return this.text;
  }
}

export interface EventsPage {
  events: RecordedEvent[];
  nextAfter: number | null;
}

export const MAX_BATCH_GET = 1000;
const REPLAY_CHUNK = 10_000;

export class PlayerQueries {
  constructor(
    private readonly store: PlayerStore,
    private readonly cluster: SqlCluster,
    private readonly router: ShardRouter,
    private readonly cache: PlayerCache,
    private readonly cacheUpdater: CacheUpdater,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** Throws NotFoundError for an unknown player. */
  async get(playerId: string, consistency: Consistency = 'eventual'): Promise<PlayerRead> {
    assertPlayerId(playerId);
    const found = (await this.getMany([playerId], consistency)).players.get(playerId);
    if (!found) throw new NotFoundError(`player ${playerId} not found`);
    return found;
  }

  /** Reads many players at once; what must come from the databases is grouped by shard and read in parallel. */
  async getMany(playerIds: readonly string[], consistency: Consistency = 'eventual'): Promise<{ players: Map<string, PlayerRead>; missing: string[] }> {
    for (const id of playerIds) assertPlayerId(id);
    const ids = [...new Set(playerIds)];
    const players = new Map<string, PlayerRead>();
    let rest = ids;
    if (consistency === 'eventual') rest = await this.fromMemoryAndCache(ids, players);
    if (rest.length > 0) await this.fromDatabases(rest, players, consistency === 'eventual');
    for (const read of players.values()) this.metrics.reads.labels(read.source).inc();
    return { players, missing: ids.filter((id) => !players.has(id)) };
  }

  /** Fills `out` with what memory and the cache may serve; returns the ids still to read. */
  private async fromMemoryAndCache(ids: string[], out: Map<string, PlayerRead>): Promise<string[]> {
    const held = new Map<string, PlayerState>();
    for (const id of ids) {
      const state = this.store.peek(id);
      if (state) held.set(id, state);
    }
    if (!this.cache.shared) {
      for (const [id, state] of held) out.set(id, new PlayerRead('memory', state.seq, { state }));
      const wanted = ids.filter((id) => !held.has(id));
      const cached = wanted.length ? await this.cache.getMany(wanted) : new Map();
      for (const [id, c] of cached) out.set(id, new PlayerRead('cache', c.seq, { json: c.json }));
      this.countCache(wanted.length, cached.size);
      return wanted.filter((id) => !cached.has(id));
    }
    let cached;
    try {
      cached = await this.cache.getMany(ids);
    } catch (err) {
      // Without the cache nothing tells whether memory is current: read the databases.
      this.metrics.cacheReads.labels('error').inc(ids.length);
      this.log.debug({ err }, 'cache read failed; reading the databases');
      return ids;
    }
    this.countCache(ids.length, cached.size);
    const rest: string[] = [];
    for (const id of ids) {
      const c = cached.get(id);
      const m = held.get(id);
      if (c && m && m.seq >= c.seq) out.set(id, new PlayerRead('memory', m.seq, { state: m }));
      else if (c) out.set(id, new PlayerRead('cache', c.seq, { json: c.json }));
      else rest.push(id);
    }
    return rest;
  }

  private countCache(asked: number, hits: number): void {
    if (hits) this.metrics.cacheReads.labels('hit').inc(hits);
    if (asked - hits) this.metrics.cacheReads.labels('miss').inc(asked - hits);
  }

  private async fromDatabases(ids: string[], out: Map<string, PlayerRead>, useReplica: boolean): Promise<void> {
    const loaded: PlayerState[] = [];
    await this.router.fanOut(ids, async (shard, group) => {
      const primary = this.cluster.shards[shard] as SqlShard;
      const replica = useReplica ? this.cluster.replicas[shard] : undefined;
      let forPrimary = group;
      if (replica) {
        try {
          const [fromReplica, latest] = await Promise.all([loadPlayers(replica, group), currentSeqs(primary, group)]);
          forPrimary = [];
          for (const id of group) {
            const r = fromReplica.get(id);
            const newest = latest.get(id);
            if (newest === undefined) continue; // no such player
            if (r && r.state.seq >= newest) {
              out.set(id, new PlayerRead('replica', r.state.seq, { state: r.state }));
              loaded.push(r.state);
            } else forPrimary.push(id);
          }
        } catch (err) {
          this.log.debug({ err, shard }, 'replica read failed; reading the primary');
          forPrimary = group;
        }
      }
      if (forPrimary.length === 0) return;
      const fromPrimary = await this.store.loadCommitted(forPrimary);
      for (const [id, l] of fromPrimary) {
        out.set(id, new PlayerRead('primary', l.state.seq, { state: l.state }));
        loaded.push(l.state);
      }
    });
    // Refill the cache; its seq guard keeps a newer entry written meanwhile.
    if (loaded.length) void this.cacheUpdater.write(loaded);
  }

  async events(playerId: string, after: number, limit: number): Promise<EventsPage> {
    assertPlayerId(playerId);
    const db = this.primary(playerId);
    const rows = await readEvents(db, playerId, after, limit + 1);
    if (rows.length === 0 && !(await currentSeqs(db, [playerId])).has(playerId)) throw new NotFoundError(`player ${playerId} not found`);
    const events = rows.slice(0, limit);
    const nextAfter = rows.length > limit ? (events.at(-1)?.seq ?? null) : null;
    return { events, nextAfter };
  }

  /** The state after events 1..seq, rebuilt from the log alone. */
  async stateAt(playerId: string, seq: number): Promise<PlayerState> {
    assertPlayerId(playerId);
    const db = this.primary(playerId);
    const current = (await currentSeqs(db, [playerId])).get(playerId);
    if (current === undefined) throw new NotFoundError(`player ${playerId} not found`);
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > current) throw new InvalidArgumentError(`seq must be between 1 and ${current}`);
    let state: PlayerState | null = null;
    for (let after = 0; after < seq; after += REPLAY_CHUNK) {
      state = replay(state, playerId, await readEvents(db, playerId, after, REPLAY_CHUNK, seq));
    }
    return state as PlayerState;
  }

  private primary(playerId: string): SqlShard {
    return this.cluster.shards[this.router.shardOf(playerId)] as SqlShard;
  }
}
