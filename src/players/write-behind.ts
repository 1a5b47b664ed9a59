// Write-behind of the `players` row: the committed state of each changed player, coalesced per player and written
// as one batched upsert per shard every writeBehindIntervalMs (or once writeBehindMaxDirty players are dirty).
// Unlike the seed's Range-then-Delete, a state that changed during its flush stays queued, and a failed flush loses
// nothing (see CoalescingWriter).
import type { Logger } from 'pino';
import { CoalescingWriter } from '../backends/postgres/coalescing-writer.js';
import type { SqlShard } from '../backends/postgres/index.js';
import type { Metrics } from '../metrics.js';
import { playerRowsFence, type ShardRouter } from '../sharding/index.js';
import type { PlayerState } from './player-state.js';
import { upsertPlayerRows } from './state-rows.js';

export interface WriteBehindOptions {
  intervalMs: number;
  maxDirty: number;
  /** Rows per upsert statement. Default 2000. */
  chunkSize?: number;
}

export class WriteBehind extends CoalescingWriter<PlayerState> {
  constructor(shards: readonly SqlShard[], options: WriteBehindOptions, metrics: Metrics, log: Logger, router?: ShardRouter) {
    super(
      shards,
      {
        name: 'write-behind',
        intervalMs: options.intervalMs,
        maxPerShard: options.maxDirty,
        chunkSize: options.chunkSize,
        // The row never moves back in seq (the upsert checks it too).
        replaces: (next, queued) => next.seq > queued.seq,
        write: async (db, states) => {
          await upsertPlayerRows(db, states);
          metrics.writeBehindStatements.inc();
        },
        // A row written to the old shard of a moving slot after its last copy would be deleted with it, or be left
        // there after the move's clean-up: the new owner's row would lag (it is caught up from the log on load).
        fence: router && playerRowsFence<PlayerState>(router, (state) => state.playerId),
        onPending: (n) => metrics.writeBehindPending.set(n),
        onWritten: (n) => metrics.writeBehindFlushed.inc(n),
        onFailed: () => metrics.writeBehindFailed.inc(),
      },
      log,
    );
  }

  isDirty(shard: number, playerId: string): boolean {
    return this.has(shard, playerId);
  }

  /** Records a committed state; a newer seq replaces an older one, never the reverse. */
  markDirty(shard: number, state: PlayerState): void {
    this.put(shard, state.playerId, state);
  }
}
