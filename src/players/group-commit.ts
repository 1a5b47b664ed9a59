// Group commit for one shard: appends from many requests share one transaction, with one unnest insert
// for events, one for outbox rows and one for snapshots. A seq conflict (another process wrote the same player)
// fails only that player's items; a shard that is down keeps `batched` items and retries with backoff; rows the
// database refuses for their values fail only the item that carries them (found by committing one item at a time).
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { RealmError, UnavailableError } from '../errors.js';
import type { SqlShard } from '../backends/postgres/index.js';
import { isCommitUnknown, isDataRefusal } from '../backends/postgres/index.js';
import { eventsAt, type EventRow } from '../events/event-log.js';
import type { Metrics } from '../metrics.js';
import { slotOf } from '../sharding/index.js';
import type { Durability, RecordedEvent } from './player-events.js';
import type { PlayerState } from './player-state.js';
import { commitRows, type CommitOutcome } from './commit-statement.js';
import type { SnapshotWrite } from './state-rows.js';

/** Another writer committed this player's seq first; the in-memory state of the player is stale. */
export class StaleWriteError extends RealmError {
  constructor(playerId: string) {
    super('conflict', `player ${playerId} was changed by another writer`);
  }
}

export function isStaleWrite(err: unknown): err is StaleWriteError {
  return err instanceof StaleWriteError;
}

/** The database refused this item's rows for their values (validation should have caught them). Nothing was written. */
export class RefusedWriteError extends RealmError {
  constructor(playerId: string, cause: unknown) {
    super('invalid_argument', `the database cannot store these events of player ${playerId}: ${(cause as Error).message}`);
  }
}

/**
 * The fence of a fleet instance, checked inside every group-commit transaction before its rows are written: the
 * instance must hold the lease of each slot it writes. Items of the other slots fail; the others commit.
 */
export interface CommitFence {
  /** This instance's id in the lease table. */
  instance: string;
}

/** This process lost the lease of the player's slot before its append committed; nothing was written. */
export class NotOwnerError extends UnavailableError {
  constructor(playerId: string) {
    super(`player ${playerId} moved to another instance before this append committed; nothing was written, retry`);
  }
}

export interface CommitItem {
  playerId: string;
  events: RecordedEvent[];
  /** The player's state after these events. */
  state: PlayerState;
  snapshot: SnapshotWrite | undefined;
  durability: Durability;
  /** Set when the item's slot moved: the time after which it stops looking for the new owner. */
  rerouteDeadline?: number;
  /**
   * Called when the item fails, before its promise rejects (and before anything else runs): later items of the player
   * were applied on top of it, so the caller must take it out of the player's state at once. May be called twice.
   */
  onFailed?: (err: unknown) => void;
  /** False once an append this one was applied on has failed: it must not be queued any more (see `PlayerStore.enqueue`). */
  applies?: () => boolean;
}

interface Queued extends CommitItem {
  slot: number;
  due: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  maxEvents: number;
  maxDelayMs: number;
  batchedFlushMs: number;
}

/** An item the shard refused because its slot moved to another shard; `settle` takes the outcome of its retry there. */
export interface MovedItem {
  item: CommitItem;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** How long items of a frozen slot wait before their shard looks again. */
const FROZEN_RETRY_MS = 20;

const ROLLBACK = Symbol('rollback');
const MAX_BACKOFF_MS = 2000;

export class GroupCommitter {
  private queue: Queued[] = [];
  private queuedEvents = 0;
  private queuedBatched = 0;
  private queuedSync = 0;
  /**
   * `sync` items expected before the next commit: those queued when the last commit ended plus the writers it has just
   * answered, who under a steady load come straight back. Once they are all here, waiting longer only adds latency.
   */
  private expectedSync = Infinity;
  /** Between the end of a commit and the next turn of the event loop: the writers just answered are coming back. */
  private regrouping = false;
  private flushing = false;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private failures = 0;
  private retryAt = 0;
  /** After a COMMIT whose outcome is unknown, rows already in the log that equal ours are ours. */
  private verifyOwn = false;
  private readonly shardLabel: string;
  private idle: Array<() => void> = [];
  /** Items still to commit one per transaction, after a transaction with several items was refused for its values. */
  private isolating = 0;
  /** Ownership check run in each commit transaction (a fleet of instances); none: this process owns every player. */
  fence: CommitFence | undefined;
  /** Slots a move froze, and when to try their items again; they keep their place and order in the queue. */
  private readonly heldSlots = new Map<number, number>();
  /** Takes items whose slot moved to another shard (the player store sends them to the new owner). */
  onMoved: (items: MovedItem[]) => void = (items) => {
    for (const m of items) m.reject(new UnavailableError('the player moved to another shard; retry'));
  };

  constructor(
    private readonly shard: SqlShard,
    private readonly options: GroupCommitOptions,
    /** Bookkeeping after a commit; items are acknowledged when the promise it returns settles. */
    private readonly onCommitted: (items: CommitItem[]) => Promise<void>,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.shardLabel = String(shard.index);
  }

  /** False while the shard is failing and not yet due for a retry: `sync` appends fail fast. */
  available(now = Date.now()): boolean {
    return this.failures === 0 || now >= this.retryAt;
  }

  /** Why the last commit failed (while the shard is failing). */
  lastFailure: string | undefined;

  /** Events applied in memory and not committed yet. */
  get pendingEvents(): number {
    return this.queuedEvents;
  }

  /** `batched` appends acknowledged and not committed yet. */
  get pendingBatched(): number {
    return this.queuedBatched;
  }

  enqueue(item: CommitItem): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const delay = item.durability === 'sync' ? this.options.maxDelayMs : this.options.batchedFlushMs;
      const failed = (err: unknown) => {
        item.onFailed?.(err);
        reject(err);
      };
      this.queue.push({ ...item, slot: slotOf(item.playerId), due: Date.now() + delay, resolve, reject: failed });
      this.queuedEvents += item.events.length;
      if (item.durability === 'batched') this.queuedBatched++;
      else this.queuedSync++;
      this.metrics.appendQueue.labels(this.shardLabel).set(this.queuedEvents);
      this.kick();
    });
  }

  /** Holds the items of `slot` for a moment (it has no owner right now); they keep their place. */
  hold(slot: number): void {
    this.heldSlots.set(slot, Date.now() + FROZEN_RETRY_MS);
    this.kick();
  }

  /**
   * Resolves once everything queued now or later has committed (or `deadline` passed). With `slots`, only the items
   * of those slots count: under a steady load the queue as a whole is never empty.
   */
  async drain(deadline: number, slots?: ReadonlySet<number>): Promise<boolean> {
    // Items stay in the queue until their commit settled, so the queue also covers the batch being committed.
    const pending = () => (slots === undefined ? this.queue.length > 0 || this.flushing : this.queue.some((q) => slots.has(q.slot)));
    while (pending()) {
      if (Date.now() >= deadline) return false;
      // Flush now, whatever the delays say; still honour the backoff of a failing shard.
      if (!this.flushing && this.available()) void this.flush();
      await new Promise<void>((resolve) => {
        this.idle.push(resolve);
        setTimeout(resolve, Math.min(100, Math.max(0, deadline - Date.now())));
      });
    }
    return true;
  }

  private kick(): void {
    if (this.flushing || this.regrouping || this.queue.length === 0) return;
    const now = Date.now();
    // Batched items alone wait for their own window: only sync writers are waited for (expectedSync).
    const full = this.queuedEvents >= this.options.maxEvents || (this.queuedSync > 0 && this.queuedSync >= this.expectedSync);
    let due = full ? this.earliestReady(now) : this.earliestDue();
    if (this.failures > 0) due = Math.max(due, this.retryAt);
    if (due <= now) {
      this.clearTimer();
      void this.flush();
      return;
    }
    if (this.timer && this.timerDue <= due) return;
    this.clearTimer();
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      void this.flush();
    }, due - now);
  }

  private earliestDue(): number {
    let due = Infinity;
    for (const q of this.queue) due = Math.min(due, Math.max(q.due, this.heldSlots.get(q.slot) ?? 0));
    return due;
  }

  /** When the first item not held by a frozen slot may go (`now` unless everything queued is held). */
  private earliestReady(now: number): number {
    let due = Infinity;
    for (const q of this.queue) due = Math.min(due, Math.max(now, this.heldSlots.get(q.slot) ?? 0));
    return due;
  }

  private isHeld(q: Queued, now: number): boolean {
    const until = this.heldSlots.get(q.slot);
    if (until === undefined) return false;
    if (until > now) return true;
    this.heldSlots.delete(q.slot);
    return false;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  private take(): Queued[] {
    const now = Date.now();
    const ready = this.heldSlots.size === 0 ? this.queue : this.queue.filter((q) => !this.isHeld(q, now));
    if (this.isolating > 0) return ready.slice(0, 1);
    let events = 0;
    let n = 0;
    while (n < ready.length) {
      const size = (ready[n] as Queued).events.length;
      if (n > 0 && events + size > this.options.maxEvents) break;
      events += size;
      n++;
    }
    return ready.slice(0, n);
  }

  private settle(done: ReadonlySet<Queued>): void {
    this.queue = this.queue.filter((q) => !done.has(q));
    this.queuedEvents = 0;
    this.queuedBatched = 0;
    this.queuedSync = 0;
    for (const q of this.queue) {
      this.queuedEvents += q.events.length;
      if (q.durability === 'batched') this.queuedBatched++;
      else this.queuedSync++;
    }
    this.metrics.appendQueue.labels(this.shardLabel).set(this.queuedEvents);
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    this.clearTimer();
    const batch = this.take();
    if (batch.length === 0) {
      // Everything queued belongs to frozen slots: look again when the first of them is due.
      this.flushing = false;
      this.kick();
      return;
    }
    const finished = new Set<Queued>();
    const started = performance.now();
    let answered = 0;
    try {
      const { committed, stale, fenced, moved } = await this.commit(batch);
      if (this.isolating > 0) this.isolating--;
      this.failures = 0;
      this.lastFailure = undefined;
      this.verifyOwn = false;
      this.metrics.groupCommitSeconds.labels(this.shardLabel).observe((performance.now() - started) / 1000);
      this.metrics.groupCommitEvents.labels(this.shardLabel).observe(committed.reduce((n, q) => n + q.events.length, 0));
      for (const q of committed) finished.add(q);
      for (const q of committed) if (q.durability === 'sync') answered++;
      // Items of a player that lost a race, queued after this batch was taken, were applied on the lost state too:
      // committing them would write events computed from a state that never existed (or two items at one seq).
      const losers = new Set(stale.map((q) => q.playerId));
      if (losers.size > 0) for (const q of this.queue) if (losers.has(q.playerId) && !batch.includes(q)) stale.push(q);
      // Players whose lease this process lost: none of their queued items may commit here any more.
      const leaseLost = new Set(fenced.map((q) => q.playerId));
      if (leaseLost.size > 0) for (const q of this.queue) if (leaseLost.has(q.playerId) && !batch.includes(q)) fenced.push(q);
      for (const q of stale) finished.add(q);
      for (const q of fenced) finished.add(q);
      // Later items of a moved slot, queued after this batch, go to the new owner too, behind these.
      const movedSlots = new Set(moved.map((q) => q.slot));
      const movedAll = movedSlots.size === 0 ? [] : this.queue.filter((q) => movedSlots.has(q.slot) && !finished.has(q));
      for (const q of movedAll) finished.add(q);
      this.settle(finished);
      if (movedAll.length > 0) this.onMoved(movedAll.map((q) => ({ item: q, resolve: q.resolve, reject: q.reject })));
      let after: Promise<void>;
      try {
        after = this.onCommitted(committed);
      } catch (err) {
        after = Promise.reject(err);
      }
      // The next batch does not wait for this bookkeeping (cache writes); only these items' replies do.
      void after
        .catch((err: unknown) => this.log.error({ err, shard: this.shard.index }, 'after-commit bookkeeping failed'))
        .finally(() => {
          for (const q of committed) q.resolve();
        });
      for (const q of stale) q.reject(new StaleWriteError(q.playerId));
      for (const q of fenced) q.reject(new NotOwnerError(q.playerId));
    } catch (err) {
      if (isDataRefusal(err) && !isCommitUnknown(err)) {
        // Not the shard's fault: no backoff, and no retry of rows that can never be stored.
        this.refused(batch, err, finished);
        return;
      }
      this.failures++;
      this.lastFailure = (err as Error).message;
      this.retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, 25 * 2 ** this.failures);
      this.metrics.groupCommitFailures.labels(this.shardLabel).inc();
      if (isCommitUnknown(err)) {
        // The commit may have landed: keep every item and check the log on the retry.
        this.verifyOwn = true;
        this.log.warn({ err, shard: this.shard.index }, 'commit outcome unknown; retrying with verification');
      } else {
        // Nothing was written. Sync callers get 503 now; acknowledged batched items stay queued in order.
        const failure = err instanceof UnavailableError ? err : new UnavailableError(`shard ${this.shard.index} write failed: ${(err as Error).message}`, { cause: err });
        if (this.failures === 1 || this.failures % 20 === 0) this.log.error({ err, shard: this.shard.index, failures: this.failures }, 'group commit failed');
        const syncItems = batch.filter((q) => q.durability === 'sync');
        // Appends queued since, applied on top of a failed one, fail with it (a batched append never follows a sync
        // one still uncommitted, so these are sync appends too).
        const failedPlayers = new Set(syncItems.map((q) => q.playerId));
        const inBatch = new Set(batch);
        const followers = this.queue.filter((q) => !inBatch.has(q) && failedPlayers.has(q.playerId));
        for (const q of syncItems) finished.add(q);
        for (const q of followers) finished.add(q);
        this.settle(finished);
        for (const q of syncItems) q.reject(failure);
        for (const q of followers) q.reject(failure);
      }
    } finally {
      this.flushing = false;
      this.expectedSync = this.queuedSync + answered;
      for (const wake of this.idle.splice(0)) wake();
      // The writers just answered come back in this turn of the event loop when they run in this process: let them
      // join the items that waited through this commit (already overdue), rather than split the load into two halves
      // that then take turns for ever.
      if (answered > 0) {
        this.regrouping = true;
        setImmediate(() => {
          this.regrouping = false;
          this.kick();
        });
      } else this.kick();
    }
  }

  /**
   * Before this, one refused item failed its whole group (other players' sync appends got 503) and, when `batched`,
   * stayed queued and was retried for ever, blocking every later write of the shard.
   */
  private refused(batch: Queued[], err: unknown, finished: Set<Queued>): void {
    if (batch.length > 1) {
      this.isolating = batch.length;
      this.log.warn({ err, shard: this.shard.index, items: batch.length }, 'the database refused a group commit; committing its items one at a time');
      return;
    }
    const bad = batch[0] as Queued;
    if (this.isolating > 0) this.isolating--;
    // Later items of the same player were applied on top of the refused events: committing them would leave a seq gap.
    // Their callers re-apply them on the committed state, as after a lost seq race.
    const followers = this.queue.filter((q) => q !== bad && q.playerId === bad.playerId);
    finished.add(bad);
    for (const q of followers) finished.add(q);
    this.settle(finished);
    this.metrics.groupCommitFailures.labels(this.shardLabel).inc();
    this.log.error({ err, shard: this.shard.index, playerId: bad.playerId, durability: bad.durability }, 'the database refused the events of one append; only that append failed');
    bad.reject(new RefusedWriteError(bad.playerId, err));
    for (const q of followers) q.reject(new StaleWriteError(q.playerId));
  }

  private async retryingTransientErrors(run: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (!isTransient(err) || attempt >= 4) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
      }
    }
  }

  /** Commits what it can of `batch`; returns what committed, which items lost a seq race, which this instance may no longer write (lease lost), and whose slot moved to another shard. */
  private async commit(batch: Queued[]): Promise<{ committed: Queued[]; stale: Queued[]; fenced: Queued[]; moved: Queued[] }> {
    let pending = batch;
    const stale: Queued[] = [];
    const fenced: Queued[] = [];
    const ours: Queued[] = [];
    const moved: Queued[] = [];
    while (pending.length > 0) {
      // Every process inserts in (player, seq) order, so two group commits that touch the same players take their
      // key locks in the same order and cannot deadlock; the outbox keeps the commit order of the queue.
      const rows: EventRow[] = pending.flatMap((q) => q.events.map((e) => ({ playerId: q.playerId, ...e })));
      const sorted = [...rows].sort((a, b) => (a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : a.seq - b.seq));
      const snapshots = pending.flatMap((q) => (q.snapshot ? [q.snapshot] : []));
      const twice = playersWritingOneSeqTwice(pending);
      if (twice.size > 0) {
        // Cannot happen while a lost race fails every queued item of its player; if it ever does, the later item was
        // built on a state that no longer holds, exactly like a lost race.
        this.log.warn({ shard: this.shard.index, players: [...twice] }, 'two queued appends of one player at the same seq; re-applying them');
        for (const q of pending) if (twice.has(q.playerId)) stale.push(q);
        pending = pending.filter((q) => !twice.has(q.playerId));
        continue;
      }
      let outcome: CommitOutcome | undefined;
      try {
        await this.retryingTransientErrors(() =>
          this.shard.transaction(async (tx) => {
            outcome = await commitRows(tx, {
              slots: [...new Set(pending.map((q) => q.slot))].sort((a, b) => a - b),
              instance: this.fence?.instance,
              newPlayers: pending.flatMap((q) => (q.events[0]?.seq === 1 ? [{ slot: q.slot, playerId: q.playerId }] : [])),
              events: sorted,
              outbox: rows,
              snapshots,
            });
            if (outcome.fenced || outcome.inserted !== rows.length) throw ROLLBACK;
          }),
        );
        return { committed: [...ours, ...pending], stale, fenced, moved };
      } catch (err) {
        if (err !== ROLLBACK || !outcome) throw err;
      }
      const { owned, frozen, held } = outcome as CommitOutcome;
      if ((outcome as CommitOutcome).fenced) {
        // The shard fence first: items of a slot that moved go to its new owner, those of a frozen slot wait.
        const gone = new Set(pending.filter((q) => !owned.has(q.slot) && !frozen.has(q.slot)).map((q) => q.slot));
        if (gone.size > 0 || frozen.size > 0) {
          const until = Date.now() + FROZEN_RETRY_MS;
          for (const slot of frozen) this.heldSlots.set(slot, until);
          for (const q of pending) if (gone.has(q.slot)) moved.push(q);
          pending = pending.filter((q) => !gone.has(q.slot) && !frozen.has(q.slot));
          continue;
        }
        // Then the lease fence of a fleet: players of slots whose lease this instance lost may not be written here.
        if (pending.every((q) => held.has(q.slot))) throw new Error('the commit fence failed without naming a slot');
        for (const q of pending) if (!held.has(q.slot)) fenced.push(q);
        pending = pending.filter((q) => held.has(q.slot));
        continue;
      }
      // Someone else's rows (or ours, from a commit whose outcome was unknown) are at some of our keys.
      const existing = await eventsAt(this.shard, rows);
      const byKey = new Map(existing.map((r) => [`${r.playerId}\u0000${r.seq}`, r]));
      const losers = new Set<string>();
      const already = new Set<string>();
      for (const q of pending) {
        const found = q.events.map((e) => byKey.get(`${q.playerId}\u0000${e.seq}`));
        if (found.every((f) => f === undefined)) continue;
        const mine = this.verifyOwn && found.every((f, i) => f !== undefined && sameEvent(f, q.events[i] as RecordedEvent));
        (mine ? already : losers).add(q.playerId);
      }
      const next: Queued[] = [];
      let lost = false;
      for (const q of pending) {
        // Once a player lost a race, its later items in the batch build on the lost state too.
        if (losers.has(q.playerId)) {
          stale.push(q);
          lost = true;
        } else if (already.has(q.playerId) && q.events.every((e) => byKey.has(`${q.playerId}\u0000${e.seq}`))) ours.push(q);
        else next.push(q);
      }
      if (!lost && next.length === pending.length) throw new Error('event insert conflicted but no conflicting row was found');
      pending = next;
    }
    return { committed: ours, stale, fenced, moved };
  }

  close(): void {
    this.clearTimer();
  }
}

/** Deadlock or serialization failure: PostgreSQL rolled the transaction back, and running it again is safe. */
function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code ?? ((err as { cause?: { code?: unknown } } | null)?.cause?.code);
  return code === '40P01' || code === '40001';
}

function playersWritingOneSeqTwice(items: readonly Queued[]): Set<string> {
  const seen = new Set<string>();
  const out = new Set<string>();
  for (const q of items) {
    for (const e of q.events) {
      const key = `${q.playerId}\u0000${e.seq}`;
      if (seen.has(key)) out.add(q.playerId);
      seen.add(key);
    }
  }
  return out;
}

function sameEvent(stored: EventRow, mine: RecordedEvent): boolean {
  return stored.type === mine.type && stored.recordedAt === mine.recordedAt && isDeepStrictEqual(stored.data, mine.data);
}
