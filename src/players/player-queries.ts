// The read side: a player's state from the nearest source that is not older than the caller may see,
// the event log page by page, and the state at any seq by replay.
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import type { SqlCluster } from '../backends/postgres/index.js';
import { currentSeqs, readEvents } from '../events/event-log.js';
import type { Metrics } from '../metrics.js';
import type { ShardRouter } from '../sharding/index.js';
import type { RecordedEvent } from './player-events.js';
import type { PlayerState } from './player-state.js';
import { assertPlayerId, type PlayerStore } from './player-store.js';
import { replay } from './reducers.js';

export type ReadSource = 'memory' | 'cache' | 'replica' | 'primary';
export type Consistency = 'eventual' | 'strong';

export interface PlayerRead {
  state: PlayerState;
  source: ReadSource;
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
    private readonly metrics: Metrics,
  ) {}

  /** Throws NotFoundError for an unknown player. */
  async get(playerId: string, consistency: Consistency = 'eventual'): Promise<PlayerRead> {
    assertPlayerId(playerId);
    const found = (await this.getMany([playerId], consistency)).players.get(playerId);
    if (!found) throw new NotFoundError(`player ${playerId} not found`);
    return found;
  }

  /** Reads many players at once: memory first, the rest grouped by shard and read in parallel. */
  async getMany(playerIds: readonly string[], consistency: Consistency = 'eventual'): Promise<{ players: Map<string, PlayerRead>; missing: string[] }> {
    for (const id of playerIds) assertPlayerId(id);
    const players = new Map<string, PlayerRead>();
    const rest: string[] = [];
    for (const id of new Set(playerIds)) {
      const held = consistency === 'eventual' ? this.store.peek(id) : undefined;
      if (held) players.set(id, { state: held, source: 'memory' });
      else rest.push(id);
    }
    if (rest.length > 0) {
      const loaded = await this.store.loadCommitted(rest);
      for (const [id, l] of loaded) players.set(id, { state: l.state, source: 'primary' });
    }
    for (const read of players.values()) this.metrics.reads.labels(read.source).inc();
    const missing = [...new Set(playerIds)].filter((id) => !players.has(id));
    return { players, missing };
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

  private primary(playerId: string): SqlCluster['shards'][number] {
    return this.cluster.shards[this.router.shardOf(playerId)] as SqlCluster['shards'][number];
  }
}
