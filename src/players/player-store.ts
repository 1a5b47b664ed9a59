// The command side: appends events to a player, one request at a time per player, through the shard's
// group committer; keeps active players in memory and feeds the write-behind and snapshots.
import type { Logger } from 'pino';
import { ConflictError, InvalidArgumentError, isRealmError, UnavailableError } from '../errors.js';
import type { SqlCluster } from '../backends/postgres/index.js';
import type { Metrics } from '../metrics.js';
import { slotOf, type ShardRouter } from '../sharding/index.js';
import type { EngineOptions } from '../settings.js';
import { GroupCommitter, isStaleWrite, NotOwnerError, StaleWriteError, type CommitFence, type CommitItem, type MovedItem } from './group-commit.js';
import type { AnyPlayerEvent, Durability, InternalPlayerEvent, PlayerEvent, RecordedEvent } from './player-events.js';
import { isValidName, type PlayerState } from './player-state.js';
import { currentSeqs } from '../events/event-log.js';
import { applyEvents } from './reducers.js';
import { loadPlayers, type LoadSource } from './state-rows.js';
import { WriteBehind } from './write-behind.js';

export interface AppendOptions {
  /** The seq the player must be at (0: must not exist yet). */
  expectedSeq?: number;
  /** `sync` (default): resolve after the commit. `batched`: after the in-memory apply. */
  durability?: Durability;
}

export type InternalAppendRoute = (playerId: string, events: readonly InternalPlayerEvent[], options: AppendOptions) => Promise<AppendResult>;

export interface AppendResult {
  seq: number;
  state: PlayerState;
}

/** A committed append: the events and the state they produced. */
export interface Committed {
  state: PlayerState;
  events: readonly RecordedEvent[];
}

/**
 * Called after every group commit of a shard (cache, relay). A `sync` append is acknowledged only after the
 * promise settles, so what a listener does is visible to anyone who saw the acknowledgement. Must not throw.
 */
export type CommitListener = (shard: number, committed: readonly Committed[]) => Promise<void> | void;

interface Entry {
  /** Applied state, including the appends not yet committed; null: the player does not exist. */
  state: PlayerState | null;
  /** Bumped when the entry is dropped, so that a request holding it on to it sees that it is no longer the player's. */
  generation: number;
  /** Appends applied and queued, not yet committed, in order: each was applied on the state the one before left. */
  chain: Uncommitted[];
  snapshotSeq: number;
  snapshotAt: number;
}

/** What the entry was before an uncommitted append, to go back to if that append fails. */
interface Uncommitted {
  durability: Durability;
  state: PlayerState | null;
  snapshotSeq: number;
  snapshotAt: number;
  /** Settles (never rejects) once the append committed or failed. */
  settled: Promise<void>;
  /** The shard whose group committer it was queued on. */
  shard: number;
}

/** An append applied and queued by `applyAndQueue`. */
interface Queued {
  result: AppendResult;
  done: Promise<void>;
  checked: AppendChecked | undefined;
}

interface Lock {
  tail: Promise<void>;
  holders: number;
}

/**
 * Looks at an append before anything is written (anti-cheat rules): throws (RejectedError, BannedError) to refuse
 * it, or returns what to do once it is accepted (record flags, count rate windows). Realmstate's own events skip it.
 */
export interface AppendGuard {
  check(playerId: string, before: PlayerState | null, after: PlayerState, events: readonly PlayerEvent[]): Promise<AppendChecked | undefined>;
}
export interface AppendChecked {
  /** The append was acknowledged, with this last seq. Must not throw. */
  accepted(seq: number): void;
  /** The append failed after the check (commit error, lost seq race): forget what the check counted. Must not throw. */
  failed(): void;
}

/**
 * How long an append without `expectedSeq` keeps re-applying itself on a fresh state while other writers keep getting
 * there first, before it answers 503 (never 409: the client asked for no precondition).
 */
export const CONTENTION_DEADLINE_MS = 10_000;
const CONTENTION_MAX_BACKOFF_MS = 50;
/** How long an item whose slot is between owners (a switch in progress, or a mover that died) keeps looking for one. */
const REROUTE_DEADLINE_MS = 60_000;

export function assertPlayerId(playerId: string): void {
  if (!isValidName(playerId)) throw new InvalidArgumentError('player id must be 1–64 characters of A-Z a-z 0-9 _ - . :');
}

export class PlayerStore {
  private readonly entries = new Map<string, Entry>();
  private readonly locks = new Map<string, Lock>();
  private readonly committers: GroupCommitter[];
  readonly writeBehind: WriteBehind;
  private readonly listeners: CommitListener[] = [];
  private closed = false;
  private guard: AppendGuard | undefined;
  private internalRoute: InternalAppendRoute | undefined;
  private owns: (playerId: string) => boolean = () => true;
  /**
   * True in a fleet, where only the lease holder commits a player's events, so its state in memory is the newest.
   * Otherwise another process on the same databases may have written the player since this one loaded it.
   */
  private soleWriter = false;
  /** Slots whose items are being sent to a new owner, and the chain of those sends. */
  private readonly moving = new Map<number, Promise<void>>();

  constructor(
    private readonly cluster: SqlCluster,
    private readonly router: ShardRouter,
    private readonly options: EngineOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.writeBehind = new WriteBehind(cluster.shards, { intervalMs: options.writeBehindIntervalMs, maxDirty: options.writeBehindMaxDirty }, metrics, log, router);
    this.writeBehind.onFlushed = () => this.evict();
    this.committers = cluster.shards.map(
      (shard) =>
        new GroupCommitter(
          shard,
          { maxEvents: options.groupCommitMaxEvents, maxDelayMs: options.groupCommitMaxDelayMs, batchedFlushMs: options.batchedFlushMs },
          (items) => this.committed(shard.index, items),
          metrics,
          log,
        ),
    );
    this.committers.forEach((c, index) => (c.onMoved = (items) => void this.reroute(index, items)));
  }

  /**
   * Items a shard refused because their slot moved: reload the map and queue them, in order, on the new owner.
   * Their callers only see a longer wait. Until they are queued there, later appends of the same slot queue behind
   * them (see `enqueue`), so a player's events keep their order.
   */
  private reroute(from: number, items: MovedItem[]): void {
    const bySlot = new Map<number, MovedItem[]>();
    for (const m of items) {
      const slot = slotOf(m.item.playerId);
      const list = bySlot.get(slot);
      if (list) list.push(m);
      else bySlot.set(slot, [m]);
    }
    for (const [slot, list] of bySlot) {
      this.afterMove(slot, async () => {
        try {
          await this.router.reload();
          const now = Date.now();
          const to = this.router.shardOf((list[0] as MovedItem).item.playerId);
          const committer = this.committers[to] as GroupCommitter;
          // The map names this shard but it does not own the slot yet (between the two steps of a switch): look again shortly.
          if (to === from) committer.hold(slot);
          for (const m of list) {
            if (m.item.applies?.() === false) {
              m.reject(new StaleWriteError(m.item.playerId));
              continue;
            }
            const deadline = (m.item.rerouteDeadline ??= now + REROUTE_DEADLINE_MS);
            if (to === from && now > deadline) throw new UnavailableError('the slot of this player is being moved between shards and has no owner yet; retry shortly');
            this.metrics.rerouted.inc();
            committer.enqueue(m.item).then(m.resolve, m.reject);
          }
        } catch (err) {
          for (const m of list) m.reject(err);
        }
      });
    }
  }

  /** Runs `step` after the reroutes of `slot` already queued. */
  private afterMove(slot: number, step: () => Promise<void>): void {
    const chain = (this.moving.get(slot) ?? Promise.resolve()).then(step);
    this.moving.set(slot, chain);
    void chain.finally(() => {
      if (this.moving.get(slot) === chain) this.moving.delete(slot);
    });
  }

  /** Queues an item on its shard's committer, behind the items of its slot being sent to a new owner, if any. */
  private enqueue(shard: number, item: CommitItem): Promise<void> {
    const slot = slotOf(item.playerId);
    if (!this.moving.has(slot)) return (this.committers[shard] as GroupCommitter).enqueue(item);
    return new Promise<void>((resolve, reject) => {
      this.afterMove(slot, async () => {
        try {
          // An append this one was applied on failed while they waited for the move: it fails too.
          if (item.applies?.() === false) throw new StaleWriteError(item.playerId);
          (this.committers[this.router.shardOf(item.playerId)] as GroupCommitter).enqueue(item).then(resolve, reject);
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  start(): void {
    this.writeBehind.start();
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  /** Sets the guard every public append goes through (anti-cheat). */
  setGuard(guard: AppendGuard | undefined): void {
    this.guard = guard;
  }

  /** Appends Realmstate's own events (bans, rollbacks): not open to clients, not checked by the guard. */
  appendInternal(playerId: string, events: readonly InternalPlayerEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    return this.internalRoute ? this.internalRoute(playerId, events, options) : this.appendEvents(playerId, events, options, false);
  }

  /** `appendInternal` on this instance only, whoever owns the player (in a fleet: for the owner's own route). */
  appendInternalHere(playerId: string, events: readonly InternalPlayerEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    return this.appendEvents(playerId, events, options, false);
  }

  /** In a fleet: how `appendInternal` reaches the player's owner (this instance or another). */
  setInternalRoute(route: InternalAppendRoute | undefined): void {
    this.internalRoute = route;
  }

  /** Players acknowledged but not yet fully persisted: dirty rows plus uncommitted batched appends. */
  get pendingPlayers(): number {
    return this.writeBehind.size + this.committers.reduce((n, c) => n + c.pendingBatched, 0);
  }

  append(playerId: string, events: readonly PlayerEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    return this.appendEvents(playerId, events, options, true);
  }

  private async appendEvents(playerId: string, events: readonly AnyPlayerEvent[], options: AppendOptions, guarded: boolean): Promise<AppendResult> {
    assertPlayerId(playerId);
    if (this.closed) throw new UnavailableError('the server is shutting down');
    if (!this.owns(playerId)) throw new NotOwnerError(playerId);
    const durability = options.durability ?? 'sync';
    const home = this.router.shardOf(playerId);
    const committer = this.committers[home] as GroupCommitter;
    if (!committer.available()) throw new UnavailableError(`shard ${home} is unavailable (${committer.lastFailure ?? 'writes failing'}); retry shortly`);
    if (durability === 'batched' && this.pendingPlayers >= this.options.writeBehindMaxPending) {
      throw new UnavailableError(`too many unpersisted players (${this.pendingPlayers}); retry shortly or use durability "sync"`);
    }
    // Counted from the first lost race: the time an append waits for its slot to move (frozen, or between the two
    // steps of a switch, up to the recovery of a mover that died there) is not contention, and both processes'
    // appends held by it go at once when it ends, so one of them always loses a race right then.
    let giveUpAt: number | undefined;
    for (let attempt = 0; ; attempt++) {
      // The lock covers deciding, applying and queueing, not the commit: the next append of the player is applied on
      // this one's uncommitted state and may share its commit. Its reply still waits for the commit.
      // The shard is looked up again for every attempt: the slot may have moved while this append waited for the
      // lock or lost a race, and the old shard keeps only the rows from before the switch (then none): a state
      // loaded from it is older than the new owner's log, and every retry built on it would lose the race again.
      const queued = await this.withLock(playerId, () => this.applyAndQueue(playerId, this.router.shardOf(playerId), events, options, durability, guarded));
      if (durability === 'batched') {
        queued.checked?.accepted(queued.result.seq);
        return queued.result;
      }
      try {
        await queued.done;
        queued.checked?.accepted(queued.result.seq);
        return queued.result;
      } catch (err) {
        queued.checked?.failed();
        if (!isStaleWrite(err)) throw err;
        // Another writer got there first (the entry was dropped when the commit found out).
        if (options.expectedSeq === undefined) {
          giveUpAt ??= Date.now() + CONTENTION_DEADLINE_MS;
          if (Date.now() >= giveUpAt) throw new UnavailableError(`player ${playerId} is written by other processes faster than this one can catch up; retry shortly`);
          // Jittered backoff: two processes that keep colliding on one player drift apart.
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(CONTENTION_MAX_BACKOFF_MS, 2 ** attempt)));
          continue;
        }
        const fresh = await this.withLock(playerId, async () => (await this.entry(playerId, this.router.shardOf(playerId))).state?.seq ?? 0);
        throw new ConflictError(`expected seq ${options.expectedSeq}, player ${playerId} was changed by another writer and is at ${fresh}`, fresh);
      }
    }
  }

  /**
   * Decides the append on the player's newest state (committed or not), applies it and queues it for commit. A refusal
   * (expectedSeq mismatch, a rejected event) is final only when nothing uncommitted is left under it: otherwise it
   * waits for those appends to settle and decides again, so it never answers from a state that may not last.
   */
  private async applyAndQueue(playerId: string, shard: number, events: readonly AnyPlayerEvent[], options: AppendOptions, durability: Durability, guarded: boolean): Promise<Queued> {
    for (;;) {
      const entry = await this.entry(playerId, shard);
      // A `batched` seq is final once acknowledged, so it is never built on a `sync` append that may still fail.
      if (durability === 'batched' && entry.chain.some((u) => u.durability === 'sync')) {
        await settledAll(entry.chain);
        continue;
      }
      const base = entry.state;
      const current = base?.seq ?? 0;
      const recordedAt = new Date().toISOString();
      let next: PlayerState;
      try {
        if (options.expectedSeq !== undefined && options.expectedSeq !== current) {
          throw new ConflictError(`expected seq ${options.expectedSeq}, player ${playerId} is at ${current}`, current);
        }
        next = applyEvents(base, playerId, events, recordedAt);
      } catch (err) {
        if (isRealmError(err) && entry.chain.length > 0) {
          await settledAll(entry.chain);
          continue;
        }
        // Nothing is written for a refusal, so no lost race would ever show that the state it was decided on is
        // stale: when another process may write the player, the log says whether it moved on since it was loaded.
        if (isRealmError(err) && !this.soleWriter && (await this.movedOnInLog(playerId, shard, current))) continue;
        throw err;
      }
      const checked = guarded && this.guard ? await this.guard.check(playerId, base, next, events as readonly PlayerEvent[]) : undefined;
      if (this.entries.get(playerId) !== entry || entry.state !== base) {
        // An append under this one failed while the guard looked (its state was rolled back): decide again.
        checked?.failed();
        continue;
      }
      const recorded: RecordedEvent[] = events.map((e, i) => ({ seq: current + i + 1, type: e.type, data: e.data, recordedAt }));
      const before = { durability, state: base, snapshotSeq: entry.snapshotSeq, snapshotAt: entry.snapshotAt };
      const item: CommitItem = { playerId, events: recorded, state: next, snapshot: this.snapshotFor(entry, next), durability };
      // Behind the player's appends not committed yet, on the committer that holds them, even when the map now names
      // another shard: the old one's queue hands them to the new owner in order once it finds the slot gone (an append
      // sent straight there could commit before them, with a hole in the log under it).
      const on = entry.chain.at(-1)?.shard ?? shard;
      let settle!: () => void;
      const link: Uncommitted = { ...before, settled: new Promise<void>((resolve) => (settle = resolve)), shard: on };
      item.onFailed = (err) => this.rollBack(playerId, entry, link, err);
      item.applies = () => entry.chain.includes(link);
      entry.state = next;
      entry.chain.push(link);
      const done = this.enqueue(on, item);
      done.then(
        () => {
          const i = entry.chain.indexOf(link);
          if (i >= 0) entry.chain.splice(i, 1);
          settle();
        },
        (err: unknown) => {
          this.rollBack(playerId, entry, link, err);
          settle();
          if (durability === 'batched') this.batchedFailed(playerId, on, item, err);
        },
      );
      return { result: { seq: next.seq, state: next }, done, checked };
    }
  }

  /** Whether the log holds events of the player past `seq` (then its state here is dropped, to be loaded again). */
  private async movedOnInLog(playerId: string, shard: number, seq: number): Promise<boolean> {
    const latest = (await currentSeqs(this.cluster.shards[shard] as NonNullable<SqlCluster['shards'][number]>, [playerId])).get(playerId) ?? 0;
    if (latest <= seq) return false;
    const entry = this.entries.get(playerId);
    if (entry && entry.chain.length === 0 && (entry.state?.seq ?? 0) <= seq) this.invalidate(playerId);
    return true;
  }

  /**
   * Called (synchronously, by the group committer) when an uncommitted append fails, before anyone hears of it: the
   * appends applied on top of it fail with it, so the player goes back to the state before it. When the log itself
   * may hold something else (another writer won the seq race, or the lease is lost), the player is reloaded instead.
   */
  private rollBack(playerId: string, entry: Entry, link: Uncommitted, err: unknown): void {
    const i = entry.chain.indexOf(link);
    if (i < 0) return;
    entry.chain.length = i;
    if (this.entries.get(playerId) !== entry) return;
    if (isStaleWrite(err) || err instanceof NotOwnerError) {
      this.invalidate(playerId);
      return;
    }
    entry.state = link.state;
    entry.snapshotSeq = link.snapshotSeq;
    entry.snapshotAt = link.snapshotAt;
  }

  /**
   * Makes this store one instance of a fleet: `owns` says whether this process may write a player now (an append
   * for another instance's player fails with 503), and `fence` is checked inside every commit transaction.
   */
  setOwnership(ownership: { owns: (playerId: string) => boolean; fence: CommitFence }): void {
    this.owns = ownership.owns;
    this.soleWriter = true;
    for (const c of this.committers) c.fence = ownership.fence;
  }

  /** Drops the in-memory state of the players `which` selects (their slot moved to or from this instance). */
  forget(which: (playerId: string) => boolean): void {
    for (const id of [...this.entries.keys()]) if (which(id)) this.invalidate(id);
  }

  /** Players held in memory now. */
  get activeCount(): number {
    return this.entries.size;
  }

  /** The player as this process holds it in memory (including batched appends not yet committed), if it does. */
  peek(playerId: string): PlayerState | null | undefined {
    return this.entries.get(playerId)?.state;
  }

  /** Loads committed states from the shard primaries, all shards in parallel; a failing shard fails the call. */
  async loadCommitted(playerIds: readonly string[]): Promise<Map<string, { state: PlayerState; source: LoadSource }>> {
    const out = new Map<string, { state: PlayerState; source: LoadSource }>();
    await this.router.fanOut(playerIds, async (shard, ids) => {
      const loaded = await loadPlayers(this.cluster.shards[shard] as NonNullable<SqlCluster['shards'][number]>, ids);
      for (const [id, l] of loaded) {
        out.set(id, l);
        this.metrics.playerLoads.labels(l.source).inc();
      }
    });
    return out;
  }

  /** Waits until every acknowledged append is committed and every dirty row written (or the deadline passes). */
  async flush(timeoutMs = this.options.shutdownTimeoutMs): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const drained = await Promise.all(this.committers.map((c) => c.drain(deadline)));
    const rows = await this.writeBehind.flushAll(deadline);
    return drained.every(Boolean) && rows;
  }

  /** Waits until every acknowledged append (of `slots`, if given) is committed or the deadline passes; the `players` rows may follow later. */
  async drainCommits(timeoutMs: number, slots?: ReadonlySet<number>): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    return (await Promise.all(this.committers.map((c) => c.drain(deadline, slots)))).every(Boolean);
  }

  /** Stops taking appends, flushes everything, stops the timers. */
  async close(timeoutMs = this.options.shutdownTimeoutMs): Promise<boolean> {
    this.closed = true;
    const ok = await this.flush(timeoutMs);
    this.writeBehind.stop();
    for (const c of this.committers) c.close();
    if (!ok) this.log.error({ pendingEvents: this.committers.reduce((n, c) => n + c.pendingEvents, 0), dirtyRows: this.writeBehind.size }, 'shutdown deadline passed with unpersisted data');
    return ok;
  }

  private snapshotFor(entry: Entry, next: PlayerState): CommitItem['snapshot'] {
    const now = Date.now();
    const due = next.seq - entry.snapshotSeq >= this.options.snapshotEvery || now - entry.snapshotAt >= this.options.snapshotIntervalMs;
    if (!due) return undefined;
    const keepFrom = entry.snapshotSeq;
    entry.snapshotSeq = next.seq;
    entry.snapshotAt = now;
    return { state: next, keepFrom, takenAt: new Date(now).toISOString() };
  }

  private async committed(shard: number, items: readonly CommitItem[]): Promise<void> {
    for (const item of items) {
      this.writeBehind.markDirty(shard, item.state);
      if (item.snapshot) this.metrics.snapshots.inc();
    }
    if (this.listeners.length === 0) return;
    const committed = items.map((i) => ({ state: i.state, events: i.events }));
    await Promise.all(
      this.listeners.map(async (listener) => {
        try {
          await listener(shard, committed);
        } catch (err) {
          this.log.error({ err, shard }, 'commit listener failed');
        }
      }),
    );
  }

  /**
   * A batched append failed after it was acknowledged. A lost seq race (another process wrote the player, or an
   * earlier append of this player was refused): re-apply its events on the fresh state so the acknowledged intent is
   * not lost. Rows the database refused for their values: dropped, logged and counted.
   */
  private batchedFailed(playerId: string, shard: number, item: CommitItem, err: unknown): void {
    // The state in memory no longer holds these events: `rollBack` took them out when the failure was found.
    if (!isStaleWrite(err)) {
      this.log.error({ err, playerId }, 'batched append failed');
      this.metrics.batchedDropped.inc();
      return;
    }
    const events = item.events.map((e) => ({ type: e.type, data: e.data }) as AnyPlayerEvent);
    this.appendEvents(playerId, events, { durability: 'batched' }, false).then(
      () => this.metrics.batchedRebased.inc(),
      (rebaseErr: unknown) => {
        this.metrics.batchedDropped.inc();
        this.log.error({ err: rebaseErr, playerId, shard, events: item.events.length }, 'acknowledged batched append could not be re-applied');
      },
    );
  }

  private invalidate(playerId: string): void {
    const entry = this.entries.get(playerId);
    if (!entry) return;
    this.entries.delete(playerId);
    entry.generation++;
  }

  private async entry(playerId: string, shard: number): Promise<Entry> {
    const existing = this.entries.get(playerId);
    if (existing) {
      // Most recently used last: eviction walks from the front.
      this.entries.delete(playerId);
      this.entries.set(playerId, existing);
      this.metrics.playerLoads.labels('memory').inc();
      return existing;
    }
    const loaded = (await loadPlayers(this.cluster.shards[shard] as NonNullable<SqlCluster['shards'][number]>, [playerId])).get(playerId);
    this.metrics.playerLoads.labels(loaded?.source ?? 'replay').inc();
    const entry: Entry = {
      state: loaded?.state ?? null,
      generation: 0,
      chain: [],
      snapshotSeq: loaded?.snapshotSeq ?? 0,
      snapshotAt: loaded?.snapshotAt ?? Date.now(),
    };
    this.entries.set(playerId, entry);
    this.evict();
    return entry;
  }

  /** Drops least recently used players that are clean: nothing uncommitted, row written, nobody waiting on them. */
  private evict(): void {
    let excess = this.entries.size - this.options.maxActivePlayers;
    if (excess > 0) {
      for (const [id, entry] of this.entries) {
        if (excess <= 0) break;
        if (entry.chain.length > 0 || this.locks.has(id) || this.writeBehind.isDirty(this.router.shardOf(id), id)) continue;
        this.entries.delete(id);
        excess--;
      }
    }
    this.metrics.activePlayers.set(this.entries.size);
  }

  private async withLock<T>(playerId: string, fn: () => Promise<T>): Promise<T> {
    let lock = this.locks.get(playerId);
    if (!lock) {
      lock = { tail: Promise.resolve(), holders: 0 };
      this.locks.set(playerId, lock);
    }
    lock.holders++;
    const previous = lock.tail;
    let release!: () => void;
    lock.tail = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      return await fn();
    } finally {
      release();
      if (--lock.holders === 0) this.locks.delete(playerId);
    }
  }
}

/** Resolves once every append of `chain` (as it is now) committed or failed. */
async function settledAll(chain: readonly Uncommitted[]): Promise<void> {
  await Promise.all(chain.map((u) => u.settled));
}
