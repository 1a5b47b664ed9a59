// Runs a move (a rebalance or a drain) slot by slot, a few in parallel, under a lease so one process moves at a time.
// The move's record (shard_moves, on the home shard) and each slot's record (slot_moves, on its target) are durable:
// whoever takes the lease next finishes or undoes a slot left in flight.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Lease, SqlCluster, SqlShard } from '../backends/postgres/index.js';
import { readShardFacts, type StoredMap } from '../backends/postgres/migrate.js';
import { NotFoundError, RealmError, UnavailableError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { loadSlotMap, SLOT_COUNT } from '../sharding/index.js';
import { planDrain, planRebalance, type PlannedMove } from './planner.js';
import { moveEmptySlots, moveSlot, pendingMoves, recoverSlot, type SlotEndpoints } from './slot-mover.js';

/** Lease key of the mover; the same in every process. */
export const MOVER_LEASE_KEY = 72_616_200;

export type MoveKind = 'rebalance' | 'drain';
export type MoveState = 'running' | 'done' | 'failed' | 'cancelled';

export interface MoveStatus {
  id: string;
  kind: MoveKind;
  state: MoveState;
  slotsDone: number;
  slotsTotal: number;
  rowsCopied: number;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface ShardStatus {
  id: number;
  index: number;
  label: string;
  slots: number;
  state: 'up' | 'down';
}

/** 409: a move is already running (here or in another process). */
export class MoveConflictError extends RealmError {
  constructor(message: string) {
    super('conflict', message);
  }
}

export interface ShardMoverOptions {
  /** Slots moved at the same time. Default 2. */
  parallel: number;
  /** Wait after a switch before deleting the source rows, so instances still reading the old map move over. Default 1500 ms. */
  graceMs: number;
  /** Tells every instance about a new epoch (best effort; they also poll). */
  announce?: (epoch: number) => Promise<void>;
  /** Told after every slot and at the end. */
  onProgress?: (status: MoveStatus) => void;
  /** Told each slot (or group of empty slots) switched, with how long it was frozen. */
  onSwitched?: (info: { slots: number; rows: number; freezeMs: number }) => void;
}

export const DEFAULT_MOVER_OPTIONS: Readonly<ShardMoverOptions> = Object.freeze({ parallel: 4, graceMs: 1500 });

interface Running {
  status: MoveStatus;
  cancel: boolean;
  done: Promise<MoveStatus>;
}

export class ShardMover {
  private readonly options: ShardMoverOptions;
  private running: Running | undefined;
  private switching: Promise<unknown> = Promise.resolve();
  /** The map as this mover last wrote it: while it holds the lease, nobody else changes it. */
  private mapCache: StoredMap | undefined;

  constructor(
    private readonly cluster: SqlCluster,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    options: Partial<ShardMoverOptions> = {},
  ) {
    this.options = { ...DEFAULT_MOVER_OPTIONS, ...options };
  }

  /** The move running in this process, if any. */
  get current(): MoveStatus | undefined {
    return this.running?.status;
  }

  private async up(): Promise<Array<'up' | 'down'>> {
    return Promise.all(this.cluster.shards.map((s) => withTimeout(s.query('SELECT 1'), 2000).then(() => 'up' as const, () => 'down' as const)));
  }

  /** The shard ids by index; throws 503 naming any shard that does not answer. */
  private async requireAllUp(): Promise<number[]> {
    const states = await this.up();
    const down = this.cluster.shards.filter((_, i) => states[i] === 'down').map((s) => s.label);
    if (down.length > 0) throw new UnavailableError(`cannot move slots while a shard is down: ${down.join(', ')}`);
    return (await loadSlotMap(this.cluster)).ids;
  }

  private home(ids: readonly number[]): SqlShard {
    let best = 0;
    ids.forEach((id, i) => {
      if (id < (ids[best] as number)) best = i;
    });
    return this.cluster.shards[best] as SqlShard;
  }

  /** GET /v1/admin/shards. */
  async status(): Promise<{ epoch: number; shards: ShardStatus[]; move: MoveStatus | null }> {
    const states = await this.up();
    const ids: number[] = [];
    let latest: StoredMap | undefined;
    for (const [i, shard] of this.cluster.shards.entries()) {
      if (states[i] === 'down') {
        ids.push(-1);
        continue;
      }
      const facts = await readShardFacts(shard);
      ids.push(facts.id ?? -1);
      if (facts.map && facts.map.owners.length === SLOT_COUNT && (!latest || facts.map.epoch > latest.epoch)) latest = facts.map;
    }
    const counts = new Map<number, number>();
    for (const owner of latest?.owners ?? []) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    const shards = this.cluster.shards.map((s, i) => ({ id: ids[i] as number, index: i, label: s.label, slots: counts.get(ids[i] as number) ?? 0, state: states[i] as 'up' | 'down' }));
    let move: MoveStatus | null = this.running?.status ?? null;
    if (!move) {
      const upIds = ids.filter((id) => id >= 0);
      const homeIndex = ids.indexOf(Math.min(...upIds));
      if (homeIndex >= 0) move = await latestMove(this.cluster.shards[homeIndex] as SqlShard);
    }
    return { epoch: latest?.epoch ?? 0, shards, move: move ? { ...move } : null };
  }

  /** The moves a rebalance or a drain would make now. 404 for a drain of an unknown shard, 503 if a shard is down. */
  async plan(kind: MoveKind, drainId?: number): Promise<PlannedMove[]> {
    const ids = await this.requireAllUp();
    const { map } = await loadSlotMap(this.cluster);
    if (kind === 'drain') {
      if (drainId === undefined || !ids.includes(drainId)) throw new NotFoundError(`no shard with id ${String(drainId)} (listed: ${ids.join(', ')})`);
      if (ids.length < 2) throw new MoveConflictError('cannot drain the only shard');
      return planDrain(map.toArray(), ids, drainId);
    }
    return planRebalance(map.toArray(), ids);
  }

  /** Starts a move in the background; 409 if one runs. Resolves once it started (its record is written). */
  async start(kind: MoveKind, drainId?: number): Promise<{ move: MoveStatus; done: Promise<MoveStatus> }> {
    if (this.running) throw new MoveConflictError(`move ${this.running.status.id} is running (${this.running.status.slotsDone}/${this.running.status.slotsTotal} slots)`);
    const ids = await this.requireAllUp();
    const home = this.home(ids);
    const lease = await home.tryLease(MOVER_LEASE_KEY);
    if (!lease) throw new MoveConflictError('another process is moving slots; wait for it or cancel it (POST /v1/admin/shards:cancel)');
    let plan: PlannedMove[];
    try {
      await this.recoverHolding(ids);
      plan = await this.plan(kind, drainId);
    } catch (err) {
      await lease.release();
      throw err;
    }
    const status: MoveStatus = {
      id: randomUUID(), kind, state: 'running', slotsDone: 0, slotsTotal: plan.length, rowsCopied: 0,
      startedAt: new Date().toISOString(), finishedAt: null, error: null,
    };
    await home.query('INSERT INTO shard_moves (id, kind, state, slots_total, started_at) VALUES ($1, $2, $3, $4, $5)', [status.id, kind, 'running', plan.length, status.startedAt]);
    const running: Running = { status, cancel: false, done: Promise.resolve(status) };
    this.running = running;
    running.done = this.run(running, plan, ids, home, lease).finally(() => {
      if (this.running === running) this.running = undefined;
    });
    return { move: { ...status }, done: running.done };
  }

  /** Stops the running move after the slots in flight finished or rolled back. 409 when nothing runs. */
  async cancel(): Promise<MoveStatus> {
    const running = this.running;
    // A move whose status already says it finished is not running, though its last steps (the lease) may still be.
    if (running && running.status.state === 'running') {
      running.cancel = true;
      return running.done;
    }
    // A move run by another process (a CLI): ask it through its record, and wait for it to stop.
    const ids = (await loadSlotMap(this.cluster, { tolerateDown: false })).ids;
    const home = this.home(ids);
    const latest = await latestMove(home);
    if (!latest || latest.state !== 'running') throw new MoveConflictError('no move is running');
    await home.query("UPDATE shard_moves SET error = 'cancel requested' WHERE id = $1 AND state = 'running'", [latest.id]);
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await latestMove(home);
      if (now && now.state !== 'running') return now;
      const lease = await home.tryLease(MOVER_LEASE_KEY);
      if (lease) {
        // Its runner is gone: undo what it left and close its record.
        try {
          await this.recoverHolding(ids);
        } finally {
          await lease.release();
        }
        return (await latestMove(home)) ?? latest;
      }
    }
    throw new UnavailableError('the move did not stop within 60 s');
  }

  /** Finishes or undoes slot moves left by a mover that died, if no mover runs now. Returns the slots handled. */
  async recover(): Promise<number> {
    if (this.running) return 0;
    const ids = (await loadSlotMap(this.cluster)).ids;
    const home = this.home(ids);
    const lease = await home.tryLease(MOVER_LEASE_KEY);
    if (!lease) return 0;
    try {
      return await this.recoverHolding(ids);
    } finally {
      await lease.release();
    }
  }

  private async recoverHolding(ids: readonly number[]): Promise<number> {
    const home = this.home(ids);
    await home.query("UPDATE shard_moves SET state = 'failed', finished_at = now(), error = coalesce(error || '; ', '') || 'the process running it stopped' WHERE state = 'running'");
    const pending = await pendingMoves(this.cluster.shards);
    for (const record of pending) {
      const ends = this.endpoints(ids, record.fromShard, record.toShard);
      const outcome = await recoverSlot(record, ends, () => this.latestMap());
      this.log.warn({ slot: record.slot, from: record.fromShard, to: record.toShard, state: record.state, outcome }, 'slot move left by a stopped mover');
      if (outcome === 'finished') await this.options.announce?.(record.epoch).catch(() => {});
    }
    return pending.length;
  }

  private endpoints(ids: readonly number[], fromId: number, toId: number): SlotEndpoints {
    const fi = ids.indexOf(fromId);
    const ti = ids.indexOf(toId);
    if (fi < 0 || ti < 0) throw new UnavailableError(`a slot move between shards ${fromId} and ${toId} needs both in DATABASE_URLS`);
    return { from: this.cluster.shards[fi] as SqlShard, to: this.cluster.shards[ti] as SqlShard, fromId, toId };
  }

  private async latestMap(): Promise<StoredMap> {
    let latest: StoredMap | undefined;
    for (const shard of this.cluster.shards) {
      const facts = await readShardFacts(shard);
      if (facts.map && facts.map.owners.length === SLOT_COUNT && (!latest || facts.map.epoch > latest.epoch)) latest = facts.map;
    }
    if (!latest) throw new UnavailableError('no shard holds a slot map');
    return latest;
  }

  private async run(running: Running, plan: PlannedMove[], ids: readonly number[], home: SqlShard, lease: Lease): Promise<MoveStatus> {
    const { status } = running;
    this.mapCache = undefined;
    const cleanups: Array<Promise<void>> = [];
    let failure: unknown;
    // Slots without players move together, one switch per pair of shards; the others one by one.
    const pairs = new Map<string, PlannedMove[]>();
    for (const m of plan) {
      const key = `${m.from}>${m.to}`;
      pairs.set(key, [...(pairs.get(key) ?? []), m]);
    }
    const queue: PlannedMove[] = [];
    for (const moves of pairs.values()) {
      const first = moves[0] as PlannedMove;
      let moved: number[] = [];
      try {
        const result = await moveEmptySlots(moves.map((m) => m.slot), this.endpoints(ids, first.from, first.to), {
          switchOwner: (write, slots, toId) => this.serializedSwitch(write, slots, toId),
        });
        moved = result.moved;
        if (moved.length > 0) {
          status.slotsDone += moved.length;
          this.metrics.slotsMoved.inc(moved.length);
          this.metrics.slotFreezeSeconds.observe(result.freezeMs / 1000);
          this.options.onSwitched?.({ slots: moved.length, rows: 0, freezeMs: result.freezeMs });
          this.metrics.shardEpoch.set(result.epoch);
          void this.options.announce?.(result.epoch).catch(() => {});
          this.log.info({ slots: moved.length, from: first.from, to: first.to, freezeMs: Math.round(result.freezeMs), epoch: result.epoch }, 'empty slots moved');
          this.options.onProgress?.({ ...status });
        }
      } catch (err) {
        failure ??= err;
        this.log.error({ err, from: first.from, to: first.to }, 'moving empty slots failed');
      }
      const done = new Set(moved);
      for (const m of moves) if (!done.has(m.slot)) queue.push(m);
    }
    queue.sort((a, b) => a.slot - b.slot);
    let lastPoll = 0;
    const cancelled = () => running.cancel || failure !== undefined || !lease.held();
    const worker = async () => {
      while (queue.length > 0 && !cancelled()) {
        if (Date.now() - lastPoll > 500) {
          lastPoll = Date.now();
          const [row] = await home.query<{ error: string | null }>('SELECT error FROM shard_moves WHERE id = $1', [status.id]);
          if (row?.error === 'cancel requested') running.cancel = true;
          if (cancelled()) break;
        }
        // Another worker may have taken the last slot while this one polled.
        const next = queue.shift();
        if (next === undefined) break;
        try {
          const result = await moveSlot(next.slot, this.endpoints(ids, next.from, next.to), {
            onRows: (n) => {
              status.rowsCopied += n;
              this.metrics.slotRowsCopied.inc(n);
            },
            switchOwner: (write, slot, toId) => this.serializedSwitch(write, slot, toId),
            cancelled,
          });
          this.metrics.shardEpoch.set(result.epoch);
          void this.options.announce?.(result.epoch).catch((err: unknown) => this.log.warn({ err }, 'could not announce the new slot map epoch'));
          // The source rows stay until instances still reading the old map had time to see the new one.
          cleanups.push(
            new Promise((r) => setTimeout(r, this.options.graceMs))
              .then(result.clean)
              .catch((err: unknown) => {
                failure ??= err;
                this.log.error({ err, slot: next.slot }, 'deleting the source rows of a moved slot failed; the next run retries');
              }),
          );
          status.slotsDone++;
          this.metrics.slotsMoved.inc();
          this.metrics.slotFreezeSeconds.observe(result.freezeMs / 1000);
          this.options.onSwitched?.({ slots: 1, rows: result.rows, freezeMs: result.freezeMs });
          this.log.info({ slot: next.slot, from: next.from, to: next.to, rows: result.rows, freezeMs: Math.round(result.freezeMs), epoch: result.epoch }, 'slot moved');
          await home.query('UPDATE shard_moves SET slots_done = $2, rows_copied = $3 WHERE id = $1', [status.id, status.slotsDone, status.rowsCopied]).catch(() => {});
          this.options.onProgress?.({ ...status });
        } catch (err) {
          if (running.cancel && err instanceof Error && err.name === 'MoveCancelledError') break;
          failure ??= err;
          this.log.error({ err, slot: next.slot }, 'slot move failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.parallel) }, worker));
    await Promise.all(cleanups);
    status.state = failure !== undefined ? 'failed' : running.cancel && status.slotsDone < status.slotsTotal ? 'cancelled' : 'done';
    status.error = failure !== undefined ? (failure as Error).message : null;
    status.finishedAt = new Date().toISOString();
    await home
      .query('UPDATE shard_moves SET state = $2, slots_done = $3, rows_copied = $4, finished_at = $5, error = $6 WHERE id = $1', [status.id, status.state, status.slotsDone, status.rowsCopied, status.finishedAt, status.error])
      .catch((err: unknown) => this.log.error({ err }, 'could not record the end of the move'));
    await lease.release();
    this.options.onProgress?.({ ...status });
    return { ...status };
  }

  /** One switch at a time: each takes the next epoch over the newest map on any shard. */
  private serializedSwitch(write: (map: StoredMap) => Promise<void>, slots: readonly number[], toId: number): Promise<number> {
    const run = this.switching.then(async () => {
      const latest = this.mapCache ?? (await this.latestMap());
      const owners = [...latest.owners];
      for (const slot of slots) owners[slot] = toId;
      const map = { epoch: latest.epoch + 1, owners };
      this.mapCache = undefined;
      await write(map);
      this.mapCache = map;
      return map.epoch;
    });
    this.switching = run.catch(() => {});
    return run;
  }
}

async function latestMove(home: SqlShard): Promise<MoveStatus | null> {
  const [row] = await home.query<{ id: string; kind: MoveKind; state: MoveState; slots_done: number; slots_total: number; rows_copied: number; started_at: Date; finished_at: Date | null; error: string | null }>(
    'SELECT id, kind, state, slots_done, slots_total, rows_copied, started_at, finished_at, error FROM shard_moves ORDER BY started_at DESC LIMIT 1',
  );
  if (!row) return null;
  return {
    id: row.id, kind: row.kind, state: row.state, slotsDone: row.slots_done, slotsTotal: row.slots_total, rowsCopied: Number(row.rows_copied),
    startedAt: row.started_at.toISOString(), finishedAt: row.finished_at ? row.finished_at.toISOString() : null, error: row.state === 'running' && row.error === 'cancel requested' ? null : row.error,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e)),
    );
  });
}
