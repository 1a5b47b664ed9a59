// Anti-cheat: the rules of the game config checked on every append and score submission, flags for review,
// quarantine (scores held out of their board), bans that clean every board, per-player rollback.
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { Broadcast } from '../backends/broadcast-port.js';
import type { ShardRouter } from '../sharding/index.js';
import type { SqlCluster, SqlShard } from '../backends/postgres/index.js';
import type { RateWindowStore, WindowAdd, WindowOutcome } from '../backends/rate-window-port.js';
import type { GameConfig } from '../config/index.js';
import { BannedError, NotFoundError, RejectedError, isRealmError } from '../errors.js';
import type { GuardedSubmission, LeaderboardService, ScoreGuard, SubmitVerdict } from '../leaderboards/index.js';
import type { Metrics } from '../metrics.js';
import type { AppendChecked, AppendGuard, AppendResult, PlayerEvent, PlayerQueries, PlayerState, PlayerStore } from '../players/index.js';
import { AuditLog } from './audit-log.js';
import { BAN_REFRESH_MS, BanRegistry } from './ban-registry.js';
import { SqlFlagStore, type Flag, type FlagQuery, type FlagStore, type HeldScore, type NewFlag } from './flag-store.js';
import type { Rule } from './rule-schema.js';
import { addScore, moments, removeScore, type Population } from './score-population.js';

type StatRateRule = Extract<Rule, { kind: 'statRate' }>;
type EventRateRule = Extract<Rule, { kind: 'eventRate' }>;
type ScoreRule = Extract<Rule, { kind: 'scoreMax' | 'scoreMin' | 'scoreJump' | 'scoreOutlier' }>;

/** The rules of one config, indexed by what they look at (rebuilt on every config change). */
interface RuleIndex {
  statRate: Map<string, StatRateRule[]>;
  eventRate: Map<string, EventRateRule[]>;
  byBoard: Map<string, ScoreRule[]>;
}

export interface AnticheatOptions {
  sql: SqlCluster;
  /** Picks the home shard, where flags, bans and the audit log live. */
  router: ShardRouter;
  config: GameConfig;
  players: PlayerStore;
  queries: PlayerQueries;
  leaderboards: LeaderboardService;
  windows: RateWindowStore;
  /** Where ban changes are announced to the other instances (undefined: a single instance). */
  banBroadcast?: Broadcast;
  /** Where new flags are published (`realmstate.anticheat.flagged`). */
  flagged?: Broadcast;
  metrics: Metrics;
  log: Logger;
}

export interface BanResult {
  playerId: string;
  banned: boolean;
  /** Board entries taken off (ban) or put back (unban). */
  scores: number;
}

const ACTION_RANK = { flag: 0, quarantine: 1, reject: 2 } as const;
/** The rule name a refusal by the game config's score limit carries. */
const MAX_PER_SUBMISSION = 'limits.scores.maxPerSubmission';

export class Anticheat implements AppendGuard, ScoreGuard {
  readonly flags: FlagStore;
  readonly bans: BanRegistry;
  readonly audit: AuditLog;
  private index: RuleIndex;
  private readonly populations = new Map<string, Promise<Population>>();
  private readonly hits: Counter<'rule' | 'action'>;
  private readonly raised: Counter<'rule'>;
  private readonly o: AnticheatOptions;
  private readonly sweeps = new Set<NodeJS.Timeout>();

  constructor(options: AnticheatOptions) {
    this.o = options;
    const shard0 = options.sql.shards[options.router.homeIndex()] as SqlShard;
    this.flags = new SqlFlagStore(shard0);
    this.bans = new BanRegistry(shard0, options.banBroadcast, options.log);
    this.audit = new AuditLog(shard0);
    this.index = indexRules(options.config.current.config.anticheat.rules);
    options.config.subscribe((next) => (this.index = indexRules(next.config.anticheat.rules)));
    this.hits = new Counter({ name: 'realmstate_anticheat_rule_hits_total', help: 'Writes a rule fired on, by rule and action', labelNames: ['rule', 'action'] as const, registers: [options.metrics.registry] });
    this.raised = new Counter({ name: 'realmstate_anticheat_flags_total', help: 'Flags raised for review, by the rule that decided them', labelNames: ['rule'] as const, registers: [options.metrics.registry] });
  }

  async start(): Promise<void> {
    await this.bans.start();
    this.o.players.setGuard(this);
    this.o.leaderboards.setGuard(this);
  }

  async close(): Promise<void> {
    for (const timer of this.sweeps) clearTimeout(timer);
    this.sweeps.clear();
    this.o.players.setGuard(undefined);
    this.o.leaderboards.setGuard(undefined);
    await this.bans.close();
    await this.o.flagged?.close();
    await this.o.windows.close();
  }

  /** Calls `handler` with every flag raised from now on (as published on realmstate.anticheat.flagged, JSON). */
  onFlag(handler: (flag: Flag) => void): Promise<void> {
    if (!this.o.flagged) return Promise.resolve();
    return this.o.flagged.subscribe((message) => handler(JSON.parse(message) as Flag));
  }

  isBanned(playerId: string): boolean {
    return this.bans.isBanned(playerId);
  }

  // ---- the write path ----

  async check(playerId: string, before: PlayerState | null, after: PlayerState, events: readonly PlayerEvent[]): Promise<AppendChecked | undefined> {
    if (this.bans.isBanned(playerId)) throw new BannedError(playerId);
    const { statRate, eventRate } = this.index;
    if (statRate.size === 0 && eventRate.size === 0) return undefined;
    const adds: Array<{ rule: StatRateRule | EventRateRule; add: WindowAdd }> = [];
    for (const [stat, rules] of statRate) {
      const increase = (after.stats[stat] ?? 0) - (before?.stats[stat] ?? 0);
      if (increase > 0) for (const rule of rules) adds.push({ rule, add: windowAdd(rule, playerId, rule.maxIncrease, increase) });
    }
    if (eventRate.size > 0) {
      const counts = new Map<string, number>();
      for (const e of events) if (eventRate.has(e.type)) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
      for (const [type, n] of counts) for (const rule of eventRate.get(type) ?? []) adds.push({ rule, add: windowAdd(rule, playerId, rule.max, n) });
    }
    if (adds.length === 0) return undefined;
    const now = Date.now();
    // All windows at once (one round trip to Redis); if one refuses, the others take their amounts back.
    const outcomes = await this.o.windows.addAll(adds.map(({ add }) => add), now);
    const refused = outcomes.findIndex((o) => !o.added);
    if (refused >= 0) {
      // Nothing is written, so nothing of it may stay counted either.
      await Promise.all(outcomes.map((o) => o.undo()));
      const { rule, add } = adds[refused] as (typeof adds)[number];
      this.hits.labels(rule.name, 'reject').inc();
      throw new RejectedError(`rule "${rule.name}" refused the write: ${describeRate(rule, (outcomes[refused] as WindowOutcome).before, add.amount)}`, { rule: rule.name });
    }
    const fired: Array<{ rule: StatRateRule | EventRateRule; total: number }> = [];
    outcomes.forEach((o, i) => {
      const { rule, add } = adds[i] as (typeof adds)[number];
      if (o.before + add.amount > add.limit) fired.push({ rule, total: o.before + add.amount });
    });
    const failed = () => void Promise.all(outcomes.map((o) => o.undo())).catch((err: unknown) => this.o.log.warn({ err, playerId }, 'could not take back the rate-window amounts of a failed append'));
    if (fired.length === 0) return { accepted: () => {}, failed };
    const first = fired[0] as (typeof fired)[number];
    return {
      accepted: (seq) => {
        for (const f of fired) this.hits.labels(f.rule.name, 'flag').inc();
        void this.raise({ playerId, rule: first.rule.name, action: 'flag', details: { seq, rules: fired.map((f) => f.rule.name), total: first.total, window: describeRate(first.rule, first.total, 0) } }).catch(() => {});
      },
      failed,
    };
  }

  beforeSubmit(s: GuardedSubmission): Promise<SubmitVerdict | undefined> | undefined {
    if (this.bans.isBanned(s.playerId)) throw new BannedError(s.playerId);
    const limit = this.o.config.current.config.limits.scores.maxPerSubmission;
    if (limit !== undefined && Math.abs(s.score) > limit) {
      this.hits.labels(MAX_PER_SUBMISSION, 'reject').inc();
      throw new RejectedError(`a submission may carry at most ${limit} (limits.scores.maxPerSubmission), not ${s.score}`, { rule: MAX_PER_SUBMISSION });
    }
    const rules = this.index.byBoard.get(s.board);
    if (!rules) return undefined;
    return this.checkRules(s, rules);
  }

  /** The board's rules on one submission. */
  private async checkRules(s: GuardedSubmission, rules: readonly ScoreRule[]): Promise<SubmitVerdict | undefined> {
    const better = (a: number, b: number) => (s.order === 'desc' ? a - b : b - a);
    let previous: Promise<number | undefined> | undefined;
    const prev = () => (previous ??= s.previous());
    const outliers = rules.some((r) => r.kind === 'scoreOutlier');
    const population = outliers ? await this.population(s.board, s.season) : undefined;
    const fired: Array<{ rule: ScoreRule; why: string }> = [];
    for (const rule of rules) {
      switch (rule.kind) {
        case 'scoreMax':
          if (s.score > rule.max) fired.push({ rule, why: `score ${s.score} is above ${rule.max}` });
          break;
        case 'scoreMin':
          if (s.score < rule.min) fired.push({ rule, why: `score ${s.score} is below ${rule.min}` });
          break;
        case 'scoreJump': {
          const p = await prev();
          if (p !== undefined && p > 0 && s.score > rule.factor * p) fired.push({ rule, why: `score ${s.score} is more than ${rule.factor} times the previous best ${p}` });
          break;
        }
        case 'scoreOutlier': {
          if (!population || population.n < rule.minSamples) break;
          const { mean, sd } = moments(population);
          const ahead = better(s.score, mean);
          if (ahead > 0 && ahead > rule.zScore * sd) fired.push({ rule, why: `score ${s.score} is ${sd > 0 ? (ahead / sd).toFixed(1) : '∞'} standard deviations better than the mean ${mean.toFixed(1)} of ${population.n} scores` });
          break;
        }
      }
    }
    for (const f of fired) this.hits.labels(f.rule.name, f.rule.action).inc();
    const decisive = fired.reduce<(typeof fired)[number] | undefined>((a, f) => (!a || ACTION_RANK[f.rule.action] > ACTION_RANK[a.rule.action] ? f : a), undefined);
    if (decisive?.rule.action === 'reject') throw new RejectedError(`rule "${decisive.rule.name}" refused the score: ${decisive.why}`, { rule: decisive.rule.name });
    if (!decisive && !population) return undefined;
    const hold = decisive?.rule.action === 'quarantine';
    const before = population ? await prev() : undefined;
    return {
      hold,
      accepted: async (stored) => {
        if (population && !hold) {
          if (before !== undefined) removeScore(population, before);
          addScore(population, stored);
        }
        if (!decisive) return;
        const flag = {
          playerId: s.playerId,
          rule: decisive.rule.name,
          action: hold ? ('quarantine' as const) : ('flag' as const),
          details: { board: s.board, season: s.season, region: s.region, score: s.score, rules: fired.map((f) => f.rule.name), reason: decisive.why },
          held: hold ? { board: s.board, season: s.season, region: s.region, score: s.score } : undefined,
        };
        // A held score lives only in its flag: if the flag cannot be stored, the submission fails (nothing is lost).
        if (hold) await this.raise(flag);
        else await this.raise(flag).catch(() => {});
      },
    };
  }

  /** The board season's population, seeded once from the durable copy (scores written since come in incrementally). */
  private population(board: string, season: string): Promise<Population> {
    const key = `${board}\u0000${season}`;
    let p = this.populations.get(key);
    if (!p) {
      p = this.loadPopulation(board, season);
      this.populations.set(key, p);
      p.catch(() => this.populations.delete(key));
    }
    return p;
  }

  private async loadPopulation(board: string, season: string): Promise<Population> {
    const shards = this.o.sql.shards;
    const rows = await Promise.all(shards.map((db) =>
      db.query<{ n: number; s: number; q: number }>(
        'SELECT count(*)::float8 AS n, coalesce(sum(score::float8), 0) AS s, coalesce(sum(score::float8 * score::float8), 0) AS q FROM leaderboard_scores WHERE board = $1 AND season = $2',
        [board, season],
      ),
    ));
    const p: Population = { n: 0, sum: 0, sumSq: 0 };
    for (const [r] of rows) {
      if (!r) continue;
      p.n += Number(r.n);
      p.sum += Number(r.s);
      p.sumSq += Number(r.q);
    }
    return p;
  }

  /** Stores a flag (durable), then publishes it and counts it. */
  private async raise(flag: NewFlag): Promise<Flag> {
    let stored: Flag;
    try {
      stored = await this.flags.add(flag);
    } catch (err) {
      this.o.log.error({ err, playerId: flag.playerId, rule: flag.rule }, 'could not record an anti-cheat flag');
      throw err;
    }
    this.raised.labels(flag.rule).inc();
    // The stored flag is the truth; the publication is a notification, lost if nobody listens.
    this.o.flagged?.publish(JSON.stringify(stored)).catch((err: unknown) => this.o.log.warn({ err, flag: stored.id }, 'could not publish a flag'));
    return stored;
  }

  // ---- review ----

  listFlags(query: FlagQuery): Promise<Flag[]> {
    return this.flags.list(query);
  }

  /** Clears a flag; a score it held goes onto its board (unless the player is banned meanwhile). */
  async clear(id: string): Promise<Flag> {
    const resolved = await this.flags.resolve(id, 'cleared');
    if (!resolved) throw new NotFoundError(`no flag "${id}"`);
    const { flag, held, changed } = resolved;
    if (!changed) {
      if (flag.status === 'cleared') return flag;
      throw new RejectedError(`flag ${id} is ${flag.status}, not open`);
    }
    if (held && !this.bans.isBanned(flag.playerId)) {
      try {
        await this.release(flag.playerId, held);
      } catch (err) {
        // Open again, so the held score is not lost and the clear can be retried.
        await this.flags.reopen(id).catch((reopenErr: unknown) => this.o.log.error({ err: reopenErr, flag: id }, 'could not reopen a flag whose score could not be released'));
        throw err;
      }
    }
    return flag;
  }

  private async release(playerId: string, held: HeldScore): Promise<void> {
    await this.o.leaderboards.release(held.board, held.season, playerId, held.score, held.region);
  }

  /** Bans a player: refused writes everywhere at once, scores off every board, a `player.banned` event in its log. */
  async ban(playerId: string, reason: string): Promise<BanResult> {
    const fresh = await this.bans.ban(playerId, reason);
    await this.flags.closeForBan(playerId);
    if (fresh) await this.appendIfExists(playerId, { type: 'player.banned', data: { reason } });
    const scores = await this.o.leaderboards.removePlayer(playerId);
    this.sweepAgain(playerId);
    return { playerId, banned: true, scores };
  }

  /**
   * Another instance may have accepted a score for the player in the moment before it heard of the ban; once every
   * instance has surely heard (the announcement, else their periodic re-read), the boards are swept once more.
   */
  private sweepAgain(playerId: string): void {
    const timer = setTimeout(() => {
      this.sweeps.delete(timer);
      if (!this.bans.isBanned(playerId)) return;
      this.o.leaderboards.removePlayer(playerId).catch((err: unknown) => this.o.log.warn({ err, playerId }, 'second sweep of a banned player failed; ban again to retry'));
    }, BAN_REFRESH_MS + 1000);
    timer.unref();
    this.sweeps.add(timer);
  }

  /** Lifts a ban: the scores come back from the durable copy. */
  async unban(playerId: string, reason: string): Promise<BanResult> {
    const was = await this.bans.unban(playerId);
    if (!was) throw new NotFoundError(`player ${playerId} is not banned`);
    await this.appendIfExists(playerId, { type: 'player.unbanned', data: { reason } });
    const scores = await this.o.leaderboards.restorePlayer(playerId);
    return { playerId, banned: false, scores };
  }

  /** Appends one `state.restore` event that makes the player's state equal to its state at `toSeq`. */
  async rollback(playerId: string, toSeq: number, reason: string): Promise<AppendResult> {
    const target = await this.o.queries.stateAt(playerId, toSeq);
    const { stats, items, data } = target;
    return this.o.players.appendInternal(playerId, [{ type: 'state.restore', data: { toSeq, stats: { ...stats }, items: { ...items }, data: { ...data }, reason } }]);
  }

  /** A player who only ever had scores has no log: there is nothing to append to then. */
  private async appendIfExists(playerId: string, event: Parameters<PlayerStore['appendInternal']>[1][number]): Promise<void> {
    try {
      await this.o.queries.get(playerId, 'strong');
    } catch (err) {
      if (isRealmError(err) && err.code === 'not_found') return;
      throw err;
    }
    await this.o.players.appendInternal(playerId, [event]);
  }
}

function indexRules(rules: readonly Rule[]): RuleIndex {
  const index: RuleIndex = { statRate: new Map(), eventRate: new Map(), byBoard: new Map() };
  const push = <K, V>(map: Map<K, V[]>, key: K, value: V) => map.set(key, [...(map.get(key) ?? []), value]);
  for (const rule of rules) {
    if (rule.kind === 'statRate') push(index.statRate, rule.stat, rule);
    else if (rule.kind === 'eventRate') push(index.eventRate, rule.type, rule);
    else push(index.byBoard, rule.board, rule);
  }
  return index;
}

function windowAdd(rule: StatRateRule | EventRateRule, playerId: string, limit: number, amount: number): WindowAdd {
  return { key: `${rule.name}:${playerId}`, windowMs: rule.perSeconds * 1000, limit, amount, enforce: rule.action === 'reject' };
}

function describeRate(rule: StatRateRule | EventRateRule, before: number, amount: number): string {
  if (rule.kind === 'statRate') return `"${rule.stat}" would rise by ${before + amount} within ${rule.perSeconds} s (at most ${rule.maxIncrease})`;
  return `${before + amount} "${rule.type}" events within ${rule.perSeconds} s (at most ${rule.max})`;
}
