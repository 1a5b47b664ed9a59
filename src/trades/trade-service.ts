// Trades between two players, atomic across shards and exactly once per trade id, on the players' event logs:
//   1. a pending record on the shard of the trade id's slot (the id is taken once: retries find it);
//   2. a `trade.hold` on each side moves its goods out of its state into the trade's escrow (refused if short);
//   3. one compare-and-set of the record decides: committed (both holds in) or rejected / rolled back;
//   4. committed: a `trade.settle` on each side credits the other side's goods; otherwise a `trade.release` gives
//      held goods back, and a `trade.void` fences a side whose hold may still arrive;
//   5. the record is marked settled. A recovery sweep (any instance, one per shard at a time) finishes what a crash
//      left: it rolls back trades pending too long and settles or releases decided ones. docs/DESIGN.md says why
//      this is safe.
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { SqlCluster, SqlShard } from '../backends/postgres/index.js';
import type { GameConfig } from '../config/index.js';
import { RealmError, RejectedError, UnavailableError } from '../errors.js';
import { isOutcomeUnknown } from '../fleet/internal-appends.js';
import type { PlayerQueries, PlayerStore, TradeEvent, TradeGoods } from '../players/index.js';
import type { ShardRouter } from '../sharding/index.js';
import { decideTrade, insertTrade, markSettled, readTrade, unfinishedTrades, type TradeRecord, type TradeStatus } from './trade-records.js';
import { termsHash, termsOf, type TradeRequest, type TradeSide } from './trade-request.js';

export interface TradeOptions {
  /** A trade still pending this long after it started is rolled back by recovery. Default 5000 ms. */
  pendingTimeoutMs: number;
  /** A decided trade whose follow-up events are not all in after this long is finished by recovery. Default 2000 ms. */
  settleGraceMs: number;
  /** How often an instance sweeps the shards whose sweep lease it holds. Default 1000 ms. */
  sweepIntervalMs: number;
  /** How often an instance without a shard's sweep lease tries to take it. Default 3000 ms. */
  leaseRetryMs: number;
  /** How long a request for a trade that another request is running waits for the outcome. Default 10000 ms. */
  waitMs: number;
}

export const DEFAULT_TRADE_OPTIONS: Readonly<TradeOptions> = Object.freeze({
  pendingTimeoutMs: 5000,
  settleGraceMs: 2000,
  sweepIntervalMs: 1000,
  leaseRetryMs: 3000,
  waitMs: 10_000,
});

/** Lease key of a shard's trade recovery sweep; the same in every process. */
const SWEEP_LEASE_KEY = 72_616_170;
const SWEEP_BATCH = 200;

/** The same trade id with other terms. */
export class TradeConflictError extends RealmError {
  constructor(tradeId: string) {
    super('conflict', `trade id ${tradeId} was already used for another trade; choose a new id`);
  }
}

export interface TradeOutcome {
  tradeId: string;
  status: 'committed';
  a: { playerId: string; seq: number };
  b: { playerId: string; seq: number };
}

export interface TradeView {
  tradeId: string;
  status: TradeStatus;
  a: TradeSide & { seq: number | null };
  b: TradeSide & { seq: number | null };
  reason: string | null;
  createdAt: string;
  finishedAt: string | null;
}

type Role = 'a' | 'b';
type HoldResult = { ok: true } | { ok: false; refused: string; err: unknown };

function refusal(err: unknown): string | undefined {
  if (!(err instanceof RejectedError)) return undefined;
  const trade = err.details.trade;
  return typeof trade === 'string' ? trade : 'invariant';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class TradeService {
  private readonly options: TradeOptions;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly leases = new Map<number, { lease?: Awaited<ReturnType<SqlShard['tryLease']>>; nextTry: number }>();
  private closed = false;
  private readonly finished: Counter<'status' | 'by'>;

  constructor(
    private readonly players: PlayerStore,
    private readonly queries: PlayerQueries,
    private readonly sql: SqlCluster,
    private readonly router: ShardRouter,
    private readonly config: GameConfig,
    private readonly log: Logger,
    registry: Registry,
    options: Partial<TradeOptions> = {},
  ) {
    this.options = { ...DEFAULT_TRADE_OPTIONS, ...options };
    this.finished = new Counter({
      name: 'realmstate_trades_finished_total',
      help: 'Trades this instance finished, by outcome and by who finished them (the request or recovery)',
      labelNames: ['status', 'by'] as const,
      registers: [registry],
    });
  }

  /** Runs a trade, or answers a retry of one with its first outcome. */
  async trade(request: TradeRequest): Promise<TradeOutcome> {
    const terms = termsOf(request);
    const hash = termsHash(terms);
    const db = this.shardOf(request.tradeId);
    const enabled = this.config.current.config.economy.trades === 'enabled';
    // 404 before anything is recorded (players are never deleted, so the check cannot go stale); looked up beside
    // the record, which a retry finds.
    const exist = enabled ? Promise.all([this.queries.get(terms.a.playerId), this.queries.get(terms.b.playerId)]) : undefined;
    exist?.catch(() => {});
    const existing = await readTrade(db, request.tradeId);
    if (existing) return this.answer(existing, hash);
    if (!exist) throw new UnavailableError('trades are disabled by the game config (economy.trades: disabled); trades already in flight still finish');
    await exist;
    const record = await insertTrade(db, request.tradeId, hash, terms);
    if (!record) return this.answer((await readTrade(db, request.tradeId)) as TradeRecord, hash);
    return this.outcome(await this.run(record));
  }

  async get(tradeId: string): Promise<TradeView | undefined> {
    const r = await readTrade(this.shardOf(tradeId), tradeId);
    if (!r) return undefined;
    return {
      tradeId: r.tradeId,
      status: r.status,
      a: { ...r.terms.a, seq: r.aSeq },
      b: { ...r.terms.b, seq: r.bSeq },
      reason: r.reason,
      createdAt: r.createdAt,
      finishedAt: r.finishedAt,
    };
  }

  /** Starts the recovery sweep. */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .then(() => undefined)
        .catch((err: unknown) => this.log.warn({ err }, 'trade recovery sweep failed'))
        .finally(() => (this.sweeping = undefined));
    }, this.options.sweepIntervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
    await Promise.all([...this.leases.values()].map(async (l) => l.lease?.release()));
    this.leases.clear();
  }

  /** One pass over the shards whose sweep lease this instance holds (or takes now). Returns the trades it finished. */
  async sweep(): Promise<number> {
    let finished = 0;
    for (const shard of this.sql.shards) {
      if (this.closed) break;
      const slot = this.leases.get(shard.index) ?? { nextTry: 0 };
      this.leases.set(shard.index, slot);
      if (!slot.lease?.held()) {
        slot.lease = undefined;
        if (Date.now() < slot.nextTry) continue;
        slot.nextTry = Date.now() + this.options.leaseRetryMs;
        slot.lease = await shard.tryLease(SWEEP_LEASE_KEY).catch(() => undefined);
        if (!slot.lease) continue;
      }
      let ids: string[];
      try {
        ids = await unfinishedTrades(shard, this.options.pendingTimeoutMs, this.options.settleGraceMs, SWEEP_BATCH);
      } catch (err) {
        // This shard is unreachable; the others are still swept.
        this.log.debug({ err, shard: shard.index }, 'trade recovery could not read a shard');
        continue;
      }
      for (const id of ids) {
        try {
          const r = await this.recover(id);
          if (r.settled) finished++;
        } catch (err) {
          this.log.warn({ err, tradeId: id }, 'trade recovery failed; the next sweep retries');
        }
      }
    }
    if (finished > 0) this.log.info({ trades: finished }, 'trade recovery finished trades left in flight');
    return finished;
  }

  /** Finishes one trade: rolls it back if it is pending past the timeout, then settles or releases its sides. */
  async recover(tradeId: string): Promise<TradeRecord> {
    const db = this.shardOf(tradeId);
    let r = await readTrade(db, tradeId);
    if (!r) throw new Error(`trade ${tradeId} not found`);
    if (r.status === 'pending') {
      if (r.ageMs < this.options.pendingTimeoutMs) return r;
      r = await decideTrade(db, tradeId, 'rolled_back', 'the trade did not finish in time (a crash or an unreachable shard); recovery rolled it back');
    }
    return this.finish(r, new Set(), 'recovery');
  }

  /**
   * Where a trade's record lives: the home shard, for every trade id. Not the id's slot: slots move between shards
   * (resharding) and the mover copies rows keyed by player, so a record left behind would let a retry of the same id
   * apply the trade a second time. The record is one row per trade; the players' events stay on their own shards.
   */
  private shardOf(_tradeId: string): SqlShard {
    return this.sql.shards[this.router.homeIndex()] as SqlShard;
  }

  /** Steps 2–5 for a record this request created. */
  private async run(record: TradeRecord): Promise<TradeRecord> {
    const { a, b } = record.terms;
    const [ha, hb] = await Promise.all([this.hold(record.tradeId, a, b), this.hold(record.tradeId, b, a)]);
    const results: Record<Role, HoldResult> = { a: ha, b: hb };
    let status: Exclude<TradeStatus, 'pending'> = 'committed';
    let reason: string | null = null;
    const notHeld = new Set<Role>();
    for (const role of ['a', 'b'] as const) {
      const r = results[role];
      if (r.ok) continue;
      const side = record.terms[role];
      // A failed append wrote nothing and will not land later (an unknown commit outcome is resolved before the
      // append returns), and this request does not try again: this side needs no fence. Except a hold sent to the
      // instance that owns the player whose answer was lost: it may have landed, or still land, so it is fenced.
      if (!isOutcomeUnknown(r.err)) notHeld.add(role);
      if (r.refused === 'insufficient' || r.refused === 'limit' || r.refused === 'invariant') {
        if (status === 'committed') {
          status = 'rejected';
          reason = `player ${side.playerId}: ${(r.err as Error).message.replace(/^event \d+: /, '')}`;
        }
      } else {
        status = 'rolled_back';
        reason = `player ${side.playerId}: ${(r.err as Error).message}`;
      }
    }
    const decided = await decideTrade(this.shardOf(record.tradeId), record.tradeId, status, reason);
    return this.finish(decided, notHeld);
  }

  private async hold(tradeId: string, side: TradeSide, other: TradeSide): Promise<HoldResult> {
    try {
      await this.append(side.playerId, { type: 'trade.hold', data: { tradeId, with: other.playerId, gives: side.gives } });
      return { ok: true };
    } catch (err) {
      return { ok: false, refused: refusal(err) ?? 'failed', err };
    }
  }

  /** Step 4 and 5 for a decided trade; idempotent (each side's mark lets each event in once). */
  private async finish(record: TradeRecord, notHeld: ReadonlySet<Role>, by: 'request' | 'recovery' = 'request'): Promise<TradeRecord> {
    if (record.settled || record.status === 'pending') return record;
    const done = await this.followUp(record, notHeld);
    if (done.settled) this.finished.labels(done.status, by).inc();
    return done;
  }

  private async followUp(record: TradeRecord, notHeld: ReadonlySet<Role>): Promise<TradeRecord> {
    const { tradeId, terms } = record;
    const db = this.shardOf(tradeId);
    if (record.status === 'committed') {
      const [aSeq, bSeq] = await Promise.all([this.settle(tradeId, terms.a, terms.b.playerId, terms.b.gives), this.settle(tradeId, terms.b, terms.a.playerId, terms.a.gives)]);
      return markSettled(db, tradeId, aSeq, bSeq);
    }
    await Promise.all((['a', 'b'] as const).map((role) => this.unwind(tradeId, terms[role], notHeld.has(role))));
    return markSettled(db, tradeId, null, null);
  }

  /** Credits `receives` to `side`; its seq once credited (found in its log if an earlier run credited it). */
  private async settle(tradeId: string, side: TradeSide, from: string, receives: TradeGoods): Promise<number> {
    try {
      return (await this.append(side.playerId, { type: 'trade.settle', data: { tradeId, from, receives } })).seq;
    } catch (err) {
      // A committed trade had both holds in; a side without its hold was settled already.
      if (refusal(err) !== 'not_held') throw err;
      const db = this.sql.shards[this.router.shardOf(side.playerId)] as SqlShard;
      const rows = await db.query<{ seq: number }>(
        "SELECT seq FROM player_events WHERE player_id = $1 AND type = 'trade.settle' AND data->>'tradeId' = $2 ORDER BY seq LIMIT 1",
        [side.playerId, tradeId],
      );
      if (!rows[0]) throw new Error(`trade ${tradeId}: player ${side.playerId} holds nothing for it and was never settled`);
      return Number(rows[0].seq);
    }
  }

  /** Gives a side's held goods back; where nothing is held, fences the trade so a hold still on its way is refused. */
  private async unwind(tradeId: string, side: TradeSide, knownNotHeld: boolean): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.append(side.playerId, { type: 'trade.release', data: { tradeId, returns: side.gives } });
        return;
      } catch (err) {
        const why = refusal(err);
        if (why === 'void' || (why === 'not_held' && knownNotHeld)) return;
        if (why !== 'not_held') throw err;
      }
      try {
        await this.append(side.playerId, { type: 'trade.void', data: { tradeId } });
        return;
      } catch (err) {
        const why = refusal(err);
        if (why === 'void') return;
        // 'held': the hold landed in between; release it on the next round.
        if (why !== 'held') throw err;
      }
    }
    throw new UnavailableError(`trade ${tradeId}: player ${side.playerId} kept changing during the rollback; recovery retries`);
  }

  private append(playerId: string, event: TradeEvent) {
    return this.players.appendInternal(playerId, [event], { durability: 'sync' });
  }

  /** A retry: the same terms get the first outcome (waiting for a trade still running), other terms a 409. */
  private async answer(record: TradeRecord, hash: string): Promise<TradeOutcome> {
    if (record.hash !== hash) throw new TradeConflictError(record.tradeId);
    const deadline = Date.now() + this.options.waitMs;
    let r = record;
    while (!r.settled) {
      if (r.status === 'pending' && r.ageMs >= this.options.pendingTimeoutMs) r = await this.recover(r.tradeId);
      else if (r.status !== 'pending' && r.ageMs >= this.options.settleGraceMs) r = await this.finish(r, new Set(), 'recovery');
      if (r.settled || Date.now() >= deadline) break;
      await sleep(50);
      r = (await readTrade(this.shardOf(r.tradeId), r.tradeId)) as TradeRecord;
    }
    return this.outcome(r);
  }

  private outcome(r: TradeRecord): TradeOutcome {
    if (r.status === 'rejected') throw new RejectedError(`trade ${r.tradeId} rejected: ${r.reason ?? 'a side lacks what it gives'}; nothing changed`, { status: r.status });
    if (r.status === 'rolled_back') throw new RejectedError(`trade ${r.tradeId} was rolled back: ${r.reason ?? 'it could not finish'}; nothing changed`, { status: r.status });
    if (r.status === 'committed' && r.settled && r.aSeq !== null && r.bSeq !== null) {
      return { tradeId: r.tradeId, status: 'committed', a: { playerId: r.terms.a.playerId, seq: r.aSeq }, b: { playerId: r.terms.b.playerId, seq: r.bSeq } };
    }
    const state = r.status === 'committed' ? 'committed and still settling' : 'still in flight';
    throw new UnavailableError(`trade ${r.tradeId} is ${state}; send it again to read its outcome`);
  }
}
