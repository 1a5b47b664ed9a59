// Leaderboards on the sorted-set port: submissions with best/set/incr, top N, a player's rank, around-me, per region
// and global (k-way merge, summed counts), seasons, the durable copy in PostgreSQL and rebuilds from it.
//
// One board season is one set per region (or one set), named `<board>|<season>|<region>|<order>`; `|` cannot
// appear in ids. The order is part of the name because the stored scores depend on it: a PUT that flips the order
// starts from empty sets, which the missing-marker path then rebuilds from PostgreSQL with the new encoding.
//
// A region whose store is down is a region down, not an outage: global reads answer from the regions that are up and
// name the missing ones (`partial`), a submission in another region answers its regional rank, and only requests
// that need the missing region get 503 (see `settle`).
import type { Logger } from 'pino';
import type { SqlCluster } from '../backends/postgres/index.js';
import { compareEntries, isSetMissing, type Neighbourhood, type PlacedEntry, type SortedSetEntry, type SortedSetStore, type SubmitOutcome, type SubmitRequest } from '../backends/sorted-set-port.js';
import { InvalidArgumentError, NotFoundError, RealmError, UnavailableError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { isValidName, type PlayerState, type RecordedEvent } from '../players/index.js';
import type { ShardRouter } from '../sharding/index.js';
import { boardDefinitionSchema, type BoardDefinition, type ConfigBoard } from './board-definition.js';
import { BoardRegistry, type Board } from './board-registry.js';
import { StampSource, systemClock, type Clock } from './clock.js';
import { InflightWrites, type InflightWrite } from './inflight-writes.js';
import { mergeFirst, mergeLast } from '../backends/sorted-set-merge.js';
import { ScoreCopy, type ScoreCopyOptions } from './score-copy.js';
import { decodeScore, encodeScore, isValidScore, OPERATOR_OPS } from './score-encoding.js';
import { readBoardDefinitions, readPlayerScoreRow, readPlayerScoreRows, readScoreRows, writeBoardDefinition, type ScoreRow } from './score-rows.js';
import type { GuardedSubmission, ScoreGuard } from './score-guard.js';
import { isSeasonId, seasonAt } from './seasons.js';

export interface LeaderboardStores {
  /** The store of boards without regions, and of every region without its own. */
  default: SortedSetStore;
  /** Regions that have their own store (REDIS_REGION_URLS). */
  regions?: Readonly<Record<string, SortedSetStore>>;
}

export interface LeaderboardServiceOptions {
  stores: LeaderboardStores;
  sql: SqlCluster;
  router: ShardRouter;
  metrics: Metrics;
  log: Logger;
  /** "Now", for seasons and achieved-at times. Default: the system clock. */
  clock?: Clock;
  /** Tuning of the durable copy; defaults in DEFAULT_SCORE_COPY_OPTIONS. */
  copy?: Partial<ScoreCopyOptions>;
  /** Longest close() waits for the durable copy to be written. Default 30000 ms. */
  shutdownTimeoutMs?: number;
}

/** A board as GET /v1/leaderboards lists it. */
export interface BoardInfo {
  board: string;
  order: BoardDefinition['order'];
  operator: BoardDefinition['operator'];
  reset: BoardDefinition['reset'];
  regions: string[] | null;
  stat: string | null;
  /** The current season. */
  season: string;
}

export interface RankedScore {
  playerId: string;
  score: number;
  /** 1-based, unique. */
  rank: number;
  /** Regions whose store is down, left out of this answer (absent when complete). */
  partial?: string[];
}

/** The reply to a submission: with a region down, the global rank is unknown (null) and the regional rank is given. */
export interface SubmittedScore {
  playerId: string;
  score: number;
  rank: number | null;
  /** Rank within the submission's region; present when `partial` is. */
  regionRank?: number;
  /** Regions whose store is down (absent when complete). */
  partial?: string[];
}

export interface BoardPage {
  board: string;
  season: string;
  entries: RankedScore[];
  /** Regions whose store is down, left out of this page (absent when complete). */
  partial?: string[];
}

export interface ScoreSubmission {
  playerId: string;
  /** Integer within ±(2^53−1). */
  score: number;
  /** Required on a board with regions, refused on one without. */
  region?: string;
}

export interface ReadOptions {
  /** Only this region (regional rank); default: the whole board (global rank). */
  region?: string;
  /** A season id of the board's kind; default: the current season. */
  season?: string;
}

export interface RebuildReport {
  board: string;
  season: string;
  /** Entries loaded per set (region null: a board without regions). */
  sets: Array<{ region: string | null; entries: number }>;
}

interface Part {
  region: string | null;
  set: string;
  store: SortedSetStore;
}

const MAX_RESTORE_ATTEMPTS = 3;
/** Least time between two re-reads of the PUT-made boards for an unknown board id. */
const DEFINITION_REFRESH_MS = 1000;
/** How often PUT-made boards are re-read, to see other processes' PUTs. */
const DEFINITION_POLL_MS = 10_000;
/** How often the regions' own stores are looked at (a region back gets its boards rebuilt then). */
const REGION_WATCH_MS = 1000;
const STAT_EVENTS = new Set(['stat.add', 'stat.set', 'stat.max']);
/** Seasons of one board whose sets are kept made (see `parts`). */
const PARTS_CACHE_SEASONS = 8;

const NO_PARTS: readonly Part[] = Object.freeze([]);

/** The store holding every one of several parts, when there are several and one store holds them all. */
function unionStore(parts: readonly Part[]): SortedSetStore | undefined {
  const store = parts[0]?.store;
  if (parts.length < 2 || !store || parts.some((p) => p.store !== store)) return undefined;
  return store;
}

/** The store of a set cannot answer now (down, or it lost the set and cannot rebuild it yet). */
function isUnavailable(err: unknown): boolean {
  return err instanceof RealmError && err.code === 'unavailable';
}

/**
 * The answers of the parts that answered, and the regions of those whose store is unavailable. Any other error is
 * thrown; so is unavailability when no part answered (the request needs only missing regions: 503).
 */
function settle<T>(parts: readonly Part[], results: ReadonlyArray<PromiseSettledResult<T>>): { values: Array<T | undefined>; partial: string[] } {
  const partial: string[] = [];
  let firstDown: unknown;
  const values = results.map((r, i) => {
    if (r.status === 'fulfilled') return r.value;
    if (!isUnavailable(r.reason)) throw r.reason;
    firstDown ??= r.reason;
    partial.push((parts[i] as Part).region ?? '');
    return undefined;
  });
  if (partial.length === parts.length) throw firstDown;
  return { values, partial: partial.sort() };
}

function withPartial<T extends object>(value: T, partial: readonly string[]): T & { partial?: string[] } {
  return partial.length > 0 ? { ...value, partial: [...partial] } : value;
}

export class LeaderboardService {
  private readonly registry = new BoardRegistry();
  private readonly copy: ScoreCopy;
  private readonly inflight = new InflightWrites();
  private readonly restores = new Map<string, Promise<RebuildReport>>();
  private readonly partsCache = new WeakMap<Board, Map<string, Part[]>>();
  /** Tail of the queue of writes per regional board, season and player (see `apply`). */
  private readonly playerQueues = new Map<string, Promise<void>>();
  private readonly clock: Clock;
  private readonly stamps: StampSource;
  private readonly stores: LeaderboardStores;
  private readonly sql: SqlCluster;
  private readonly router: ShardRouter;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private readonly shutdownTimeoutMs: number;
  private definitionsReadAt = 0;
  /** Bumped by every local PUT, so a re-read that raced one does not undo it. */
  private definitionsVersion = 0;
  private definitionsTimer: NodeJS.Timeout | undefined;
  private regionsTimer: NodeJS.Timeout | undefined;
  /** Regions with a store of their own, and whether it answered at the last look. */
  private readonly regionUp = new Map<string, boolean>();
  private watchingRegions = false;
  private guard: ScoreGuard | undefined;

  constructor(options: LeaderboardServiceOptions) {
    this.stores = options.stores;
    this.sql = options.sql;
    this.router = options.router;
    this.metrics = options.metrics;
    this.log = options.log;
    this.clock = options.clock ?? systemClock;
    this.stamps = new StampSource(this.clock);
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
    this.copy = new ScoreCopy(options.sql.shards, options.router, options.copy ?? {}, options.metrics, options.log);
  }

  /** Loads the PUT-made boards, starts the durable copy, and rebuilds the current season of any board the store lost. */
  async start(): Promise<void> {
    await this.refreshDefinitions();
    this.definitionsTimer = setInterval(() => {
      this.refreshDefinitions().catch((err: unknown) => this.log.warn({ err }, 'could not re-read the leaderboard definitions'));
    }, DEFINITION_POLL_MS);
    this.definitionsTimer.unref();
    this.copy.start();
    await Promise.all(this.registry.all().map((board) => this.restoreInBackground(board)));
    for (const region of Object.keys(this.stores.regions ?? {})) this.regionUp.set(region, true);
    if (this.regionUp.size > 0) {
      this.regionsTimer = setInterval(() => void this.watchRegions(), REGION_WATCH_MS);
      this.regionsTimer.unref();
    }
  }

  /**
   * Looks at each region's own store: one that answers again after it did not (its Redis is back, maybe empty), or
   * that answers but lost a board's current set (it restarted empty between two looks, too fast to be seen down), gets
   * the current season of its boards rebuilt from the durable copy now, in the background, rather than by the first
   * request that needs it (which would then wait for the rebuild). A look costs one marker check per board.
   */
  private async watchRegions(): Promise<void> {
    if (this.watchingRegions) return;
    this.watchingRegions = true;
    try {
      await Promise.all(
        Object.entries(this.stores.regions ?? {}).map(async ([region, store]) => {
          let timer: NodeJS.Timeout | undefined;
          const up = await Promise.race([
            store.ping().then(() => true, () => false),
            new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), REGION_WATCH_MS))),
          ]).finally(() => clearTimeout(timer));
          const was = this.regionUp.get(region);
          this.regionUp.set(region, up);
          if (!up) return;
          const now = this.clock.now();
          const inRegion = this.registry.all().filter((b) => b.regions?.includes(region));
          const lost = was === false
            ? inRegion
            : (await Promise.all(inRegion.map(async (board) => {
                const set = this.parts(board, seasonAt(board.reset, now)).find((p) => p.region === region)?.set;
                return set !== undefined && !(await store.exists(set).catch(() => true)) ? board : undefined;
              }))).filter((b): b is Board => b !== undefined);
          if (lost.length === 0) return;
          this.log.info({ region, boards: lost.length }, 'leaderboard region is back or lost its sets; rebuilding them');
          await Promise.all(lost.map((board) => this.restoreInBackground(board)));
        }),
      );
    } finally {
      this.watchingRegions = false;
    }
  }

  /** Writes every queued durable copy; resolves false if some could not be written before the timeout. */
  async close(): Promise<boolean> {
    if (this.definitionsTimer) clearInterval(this.definitionsTimer);
    if (this.regionsTimer) clearInterval(this.regionsTimer);
    this.copy.stop();
    return this.copy.flushAll(Date.now() + this.shutdownTimeoutMs);
  }

  /** Accepted scores whose durable copy is not written yet. */
  get pendingCopies(): number {
    return this.copy.pending;
  }

  /** Writes the queued durable copies now; resolves false if the database refused some. */
  flushCopies(timeoutMs = this.shutdownTimeoutMs): Promise<boolean> {
    return this.copy.flushAll(Date.now() + timeoutMs);
  }

  // ---- boards ----

  /** Creates or replaces a PUT-made board (durable before it returns). Scores are kept. */
  async define(id: string, definition: BoardDefinition): Promise<BoardInfo> {
    if (!isValidName(id)) throw new InvalidArgumentError('board id must be 1–64 characters of A-Z a-z 0-9 _ - . :');
    const parsed = boardDefinitionSchema.safeParse(definition);
    if (!parsed.success) throw new InvalidArgumentError(`invalid board definition: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`);
    await writeBoardDefinition(this.shard0(), id, parsed.data);
    this.definitionsVersion++;
    this.registry.setPut(id, parsed.data);
    const board = this.registry.get(id) as Board;
    return this.info(board);
  }

  /**
   * Replaces the set of boards the game config declares (PUT-made boards stay; on the same id the PUT-made one wins,
   * see BoardRegistry). New or changed boards get their current season rebuilt in the background if the store lacks it.
   */
  setConfigBoards(boards: readonly ConfigBoard[]): void {
    const changed = this.registry.replaceConfig(boards);
    const shadowed = this.registry.shadowed();
    if (shadowed.length > 0) this.log.warn({ boards: shadowed }, 'boards defined both by PUT and by the game config: the PUT-made definitions are used');
    for (const id of changed) {
      const board = this.registry.get(id);
      if (board) void this.restoreInBackground(board);
    }
  }

  list(): BoardInfo[] {
    return this.registry.all().map((b) => this.info(b));
  }

  private info(board: Board): BoardInfo {
    return {
      board: board.id,
      order: board.order,
      operator: board.operator,
      reset: board.reset,
      regions: board.regions ? [...board.regions] : null,
      stat: board.stat ?? null,
      season: seasonAt(board.reset, this.clock.now()),
    };
  }

  private shard0() {
    const shard = this.sql.shards[this.router.homeIndex()];
    if (!shard) throw new Error('no SQL shard');
    return shard;
  }

  private async refreshDefinitions(): Promise<void> {
    this.definitionsReadAt = Date.now();
    const version = this.definitionsVersion;
    const rows = await readBoardDefinitions(this.shard0());
    if (version !== this.definitionsVersion) return;
    const defs = new Map<string, BoardDefinition>();
    for (const row of rows) {
      const parsed = boardDefinitionSchema.safeParse(row.definition);
      if (parsed.success) defs.set(row.board, parsed.data);
      else this.log.error({ board: row.board }, 'stored board definition is invalid; ignoring it');
    }
    this.registry.replacePut(defs);
  }

  /** The board, or 404. A board unknown here may have been made with PUT by another process: re-read them (at most once a second). */
  private async board(id: string): Promise<Board> {
    return this.registry.get(id) ?? this.boardAfterRefresh(id);
  }

  private async boardAfterRefresh(id: string): Promise<Board> {
    let board = this.registry.get(id);
    if (!board && isValidName(id) && Date.now() - this.definitionsReadAt >= DEFINITION_REFRESH_MS) {
      await this.refreshDefinitions();
      board = this.registry.get(id);
    }
    if (!board) throw new NotFoundError(`no leaderboard "${id}"`);
    return board;
  }

  // ---- sets ----

  private storeOf(region: string | null): SortedSetStore {
    return (region !== null ? this.stores.regions?.[region] : undefined) ?? this.stores.default;
  }

  /**
   * The sets of a board season. Made once per board object (the registry replaces the object when the definition
   * changes) and season, since every submission and read needs them; callers must not change them.
   */
  private parts(board: Board, season: string): Part[] {
    let bySeason = this.partsCache.get(board);
    if (!bySeason) this.partsCache.set(board, (bySeason = new Map()));
    let parts = bySeason.get(season);
    if (!parts) {
      const regions: ReadonlyArray<string | null> = board.regions ?? [null];
      parts = regions.map((region) => ({ region, set: `${board.id}|${season}|${region ?? ''}|${board.order}`, store: this.storeOf(region) }));
      // Old seasons are read now and then; keep the few most recent.
      if (bySeason.size >= PARTS_CACHE_SEASONS) bySeason.delete(bySeason.keys().next().value as string);
      bySeason.set(season, parts);
    }
    return parts;
  }

  /** The region a submission goes to: required and known on a regional board, absent on another. */
  private submitRegion(board: Board, region: string | undefined): string | null {
    if (!board.regions) {
      if (region !== undefined) throw new InvalidArgumentError(`leaderboard "${board.id}" has no regions`);
      return null;
    }
    if (region === undefined) throw new InvalidArgumentError(`leaderboard "${board.id}" has regions (${board.regions.join(', ')}): give a region`);
    if (!board.regions.includes(region)) throw new InvalidArgumentError(`leaderboard "${board.id}" has no region "${region}" (it has ${board.regions.join(', ')})`);
    return region;
  }

  private readParts(board: Board, season: string, region: string | undefined): Part[] {
    const parts = this.parts(board, season);
    if (region === undefined) return parts;
    if (!board.regions) throw new InvalidArgumentError(`leaderboard "${board.id}" has no regions`);
    const part = parts.find((p) => p.region === region);
    if (!part) throw new InvalidArgumentError(`leaderboard "${board.id}" has no region "${region}" (it has ${board.regions.join(', ')})`);
    return [part];
  }

  private readSeason(board: Board, season: string | undefined): string {
    const current = seasonAt(board.reset, this.clock.now());
    if (season === undefined) return current;
    if (!isSeasonId(board.reset, season)) {
      const kinds = { never: '"all"', daily: 'a day such as 2026-11-26', weekly: 'an ISO week such as 2026-W48', monthly: 'a month such as 2026-11' };
      throw new InvalidArgumentError(`season of leaderboard "${board.id}" (reset ${board.reset}) must be ${kinds[board.reset]}`);
    }
    // Later seasons have no scores yet; refusing them keeps clients from creating sets for any date they like.
    if (season > current) throw new InvalidArgumentError(`season ${season} has not started (the current one is ${current})`);
    return season;
  }

  /**
   * Runs a call on a set; when the store lost the set (SetMissingError) rebuilds the board season and retries.
   * `write` (a score write in flight) pauses meanwhile, so the rebuild does not wait for it.
   */
  private async onSet<T>(board: Board, season: string, call: () => Promise<T>, write?: InflightWrite): Promise<T> {
    try {
      return await call();
    } catch (err) {
      return this.afterMissing(err, board, season, call, write);
    }
  }

  /** What onSet does once its first call failed with `err`: rethrows anything but a missing set, else rebuilds and retries. */
  private async afterMissing<T>(err: unknown, board: Board, season: string, call: () => Promise<T>, write?: InflightWrite): Promise<T> {
    let restoreError: unknown;
    for (let attempt = 1; ; attempt++) {
      // Still missing after the rebuilds: why the rebuild failed says more than "missing".
      if (!isSetMissing(err) || attempt >= MAX_RESTORE_ATTEMPTS) throw isSetMissing(err) && restoreError !== undefined ? restoreError : err;
      write?.pause();
      try {
        // A part of the board may be down and fail its rebuild; the call is retried anyway, since its own set may
        // have been rebuilt.
        await this.restore(board, season, false).catch((e: unknown) => {
          restoreError = e;
        });
      } finally {
        write?.resume();
      }
      try {
        return await call();
      } catch (e) {
        err = e;
      }
    }
  }

  // ---- rebuilds ----

  /** Rebuilds a board season (every region) from PostgreSQL; `force` replaces sets that are present too. */
  private restore(board: Board, season: string, force: boolean): Promise<RebuildReport> {
    const key = `${board.id}\u0000${season}\u0000${board.order}`;
    const running = this.restores.get(key);
    if (running && !force) return running;
    const run = (running ?? Promise.resolve()).catch(() => {}).then(() => this.restoreSeason(board, season, force));
    this.restores.set(key, run);
    void run.finally(() => {
      if (this.restores.get(key) === run) this.restores.delete(key);
    }).catch(() => {});
    return run;
  }

  private async restoreSeason(board: Board, season: string, force: boolean): Promise<RebuildReport> {
    const parts = this.parts(board, season);
    // Drop every set first, so no score lands in a set between the read of PostgreSQL and that set's reload.
    if (force) await Promise.all(parts.map((p) => p.store.drop(p.set)));
    let loading: Promise<Map<string, SortedSetEntry[]>> | undefined;
    const load = () => (loading ??= this.loadSeason(board, season));
    // Every part is tried, so the regions that are up are rebuilt even while another one is down.
    const settled = await Promise.allSettled(
      parts.map((p) => p.store.restore(p.set, async () => (await load()).get(p.region ?? '') ?? [], { force: false })),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const counts = settled.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    const rebuilt = counts.filter((c) => c !== undefined).length;
    if (rebuilt > 0) {
      this.metrics.leaderboardRebuilds.labels(force ? 'manual' : 'missing').inc(rebuilt);
      this.log.info({ board: board.id, season, sets: rebuilt, entries: counts.reduce<number>((n, c) => n + (c ?? 0), 0) }, 'leaderboard rebuilt from PostgreSQL');
    }
    if (failed) throw failed.reason;
    return { board: board.id, season, sets: parts.map((p, i) => ({ region: p.region, entries: counts[i] ?? 0 })) };
  }

  /** The season's entries by region ('' for none): PostgreSQL's rows with the still-queued copies over them. */
  private async loadSeason(board: Board, season: string): Promise<Map<string, SortedSetEntry[]>> {
    // Writes whose store call landed before the sets were dropped queue their copy as soon as the reply arrives,
    // which is before the drop's reply on the same connection; waiting for the writes in flight makes that
    // independent of reply and continuation order (several connections, the in-process store).
    await this.inflight.settled(board.id, season);
    const queued = this.copy.pendingFor(board.id, season);
    const rows = (await Promise.all(this.sql.shards.map((s) => readScoreRows(s, board.id, season)))).flat();
    const newest = new Map<string, ScoreRow>();
    for (const row of [...rows, ...queued]) {
      const seen = newest.get(row.playerId);
      // A queued copy is newer than the stored one unless it is older in time (then another process wrote later).
      if (!seen || row.at >= seen.at) newest.set(row.playerId, row);
    }
    const byRegion = new Map<string, SortedSetEntry[]>();
    for (const row of newest.values()) {
      if (this.guard?.isBanned(row.playerId)) continue;
      const region = row.region ?? '';
      let list = byRegion.get(region);
      if (!list) byRegion.set(region, (list = []));
      list.push({ playerId: row.playerId, score: encodeScore(board.order, row.score), at: row.at });
    }
    return byRegion;
  }

  private async restoreInBackground(board: Board): Promise<void> {
    const season = seasonAt(board.reset, this.clock.now());
    try {
      await this.restore(board, season, false);
    } catch (err) {
      this.log.warn({ err, board: board.id, season }, 'could not check or rebuild the leaderboard now; it will be rebuilt on first use');
    }
  }

  /** Rebuilds a board's season (default: the current one) from PostgreSQL, replacing what the store has. */
  async rebuild(boardId: string, options: { season?: string } = {}): Promise<RebuildReport> {
    const board = await this.board(boardId);
    const season = this.readSeason(board, options.season);
    // Queued copies are merged by the rebuild itself; flushing first just makes PostgreSQL current for other processes.
    await this.copy.flushAll(Date.now() + 2000).catch(() => false);
    return this.restore(board, season, true);
  }

  // ---- scores ----

  /** Applies the board's operator to the player's score in the current season; returns the stored score and global rank. */
  async submit(boardId: string, submission: ScoreSubmission): Promise<SubmittedScore> {
    // Every submission passes here: the board comes from the registry without a turn of its own when known, and the
    // guard answers at once when no rule needs a read.
    const board = this.registry.get(boardId) ?? (await this.boardAfterRefresh(boardId));
    if (!isValidName(submission.playerId)) throw new InvalidArgumentError('player id must be 1–64 characters of A-Z a-z 0-9 _ - . :');
    if (!isValidScore(submission.score)) throw new InvalidArgumentError('score must be an integer within ±(2^53−1)');
    const region = this.submitRegion(board, submission.region);
    const { playerId, score } = submission;
    const season = seasonAt(board.reset, this.clock.now());
    const checking = this.guard?.beforeSubmit(new Submission(board, season, playerId, score, region, this.readCurrentScore));
    const verdict = checking === undefined ? undefined : await checking;
    if (verdict?.hold) {
      // Held for review (quarantine): not in the public sets, so every read and every other player's rank ignores it.
      const rank = await this.rankOf(board, season, score);
      await verdict.accepted(score);
      return { playerId, score, rank };
    }
    const result = await this.apply(board, playerId, score, region, board.operator, season);
    if (verdict) await verdict.accepted(result.score);
    return result;
  }

  private apply(board: Board, playerId: string, score: number, region: string | null, operator: Board['operator'], season = seasonAt(board.reset, this.clock.now())): Promise<SubmittedScore> {
    if (this.copy.full) return Promise.reject(new UnavailableError('too many accepted scores are waiting for PostgreSQL; retry later'));
    if (!board.regions) return this.write(board, season, playerId, score, region, operator);
    return this.applyInTurn(board, playerId, score, region, operator, season);
  }

  private async applyInTurn(board: Board, playerId: string, score: number, region: string | null, operator: Board['operator'], season: string): Promise<SubmittedScore> {
    // A regional write is several steps (take from the old region, write the new one); two of them for one player
    // interleaving could leave the player in two regions, so one player's writes to a board run one at a time here.
    // Processes do not coordinate this: two servers moving the same player at the same instant can still split it.
    const key = `${board.id}\u0000${season}\u0000${playerId}`;
    const previous = this.playerQueues.get(key);
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const tail = previous ? previous.then(() => turn) : turn;
    this.playerQueues.set(key, tail);
    try {
      await previous;
      return await this.write(board, season, playerId, score, region, operator);
    } finally {
      release();
      if (this.playerQueues.get(key) === tail) this.playerQueues.delete(key);
    }
  }

  private async write(board: Board, season: string, playerId: string, score: number, region: string | null, operator: Board['operator']): Promise<SubmittedScore> {
    const op = OPERATOR_OPS[operator];
    const value = encodeScore(board.order, score);
    for (let attempt = 1; ; attempt++) {
      const write = this.inflight.begin(board.id, season);
      try {
        return await this.writeOnce(board, season, playerId, op, value, region, write);
      } catch (err) {
        if (!(err instanceof RestartWrite) || attempt >= MAX_RESTORE_ATTEMPTS) throw err instanceof RestartWrite ? err.cause : err;
      } finally {
        write.end();
      }
      await this.restore(board, season, false);
    }
  }

  /**
   * A request for one call: the stamp is taken right before each call is sent, so within this process a later write
   * to a set always carries a later stamp, even when a retry after a rebuild overtakes others (the durable copy
   * relies on it).
   */
  private request(op: SubmitRequest['op'], value: number, onlyIfPresent: boolean): SubmitRequest {
    return { op, value, at: this.stamps.next(), onlyIfPresent };
  }

  private async writeOnce(board: Board, season: string, playerId: string, op: SubmitRequest['op'], value: number, region: string | null, write: InflightWrite): Promise<SubmittedScore> {
    const parts = this.parts(board, season);
    const target = parts.length === 1 ? (parts[0] as Part) : (parts.find((p) => p.region === region) as Part);
    const others = parts.length === 1 ? NO_PARTS : parts.filter((p) => p !== target);
    // On a regional board, a player new to this region may be moving from another: look there only then.
    const onlyIfPresent = others.length > 0;
    let outcome: SubmitOutcome | undefined;
    try {
      outcome = await target.store.submit(target.set, playerId, this.request(op, value, onlyIfPresent));
    } catch (err) {
      outcome = await this.afterMissing(err, board, season, () => target.store.submit(target.set, playerId, this.request(op, value, onlyIfPresent)), write);
    }
    let moved = false;
    const down: Part[] = [];
    if (!outcome) {
      // From the first take to the write below, the player's entry is only in this process. If the board season
      // turns out to be missing (being rebuilt), drop it and start over on the rebuilt sets: the entry was taken
      // unchanged, so the durable copy (PostgreSQL or the queue) has it in its old region and the rebuild puts it back.
      const taken = await Promise.allSettled(others.map((p) => p.store.take(p.set, playerId)));
      const carried: Array<{ part: Part; entry: SortedSetEntry }> = [];
      taken.forEach((t, i) => {
        if (t.status === 'fulfilled' && t.value) carried.push({ part: others[i] as Part, entry: t.value });
        // A region down: the player may still be moving from it (then 503 below), else it is left out of the rank.
        else if (t.status === 'rejected' && isUnavailable(t.reason) && !isSetMissing(t.reason)) down.push(others[i] as Part);
      });
      const next = this.request(op, value, false);
      const carry = combineCarried(carried.map((t) => t.entry), next.op);
      moved = carry !== undefined;
      const failed = taken.find((t): t is PromiseRejectedResult => t.status === 'rejected' && !down.includes(others[taken.indexOf(t)] as Part));
      try {
        if (failed) throw failed.reason;
        if (down.length > 0) await this.refuseMoveFrom(board, season, playerId, down);
        outcome = (await target.store.submit(target.set, playerId, { op: next.op, value: next.value, at: next.at, carry })) as SubmitOutcome;
      } catch (err) {
        if (isSetMissing(err)) throw new RestartWrite(err);
        // Put what was taken back where it was (best effort; PostgreSQL still has it for a rebuild anyway).
        await Promise.all(carried.map((t) => t.part.store.submit(t.part.set, playerId, { op: 'set', value: t.entry.score, at: t.entry.at }).catch(() => {})));
        throw err;
      }
    }
    const entry = outcome.entry;
    if (outcome.changed || moved) {
      this.copy.record({ board: board.id, season, playerId, region, score: decodeScore(board.order, entry.score), at: entry.at });
    }
    this.metrics.leaderboardSubmissions.inc();
    const regionRank = entry.position + 1;
    const score = decodeScore(board.order, entry.score);
    if (others.length === 0) return { playerId, score, rank: regionRank };
    const asked = others.filter((p) => !down.includes(p));
    const hoods = await Promise.allSettled(asked.map((p) => this.onSet(board, season, () => p.store.neighbourhood(p.set, entry, 0, 0), write)));
    let rank = regionRank;
    const partial = down.map((p) => p.region ?? '');
    hoods.forEach((h, i) => {
      if (h.status === 'fulfilled') rank += h.value.ahead;
      else if (isUnavailable(h.reason)) partial.push((asked[i] as Part).region ?? '');
      else throw h.reason;
    });
    // The score is written (and its durable copy queued): the reply says what is known.
    if (partial.length > 0) return { playerId, score, rank: null, regionRank, partial: partial.sort() };
    return { playerId, score, rank };
  }

  /**
   * A player new to a region may be moving from a region whose store is down; its entry there cannot be taken, so the
   * write would leave the player in two regions. The durable copy says where the player's entry is: 503 when that is a
   * region that is down.
   */
  private async refuseMoveFrom(board: Board, season: string, playerId: string, down: readonly Part[]): Promise<void> {
    const shard = this.sql.shards[this.router.shardOf(playerId)];
    let row = this.copy.pendingOf(board.id, season, playerId);
    if (!row && shard) {
      try {
        row = await readPlayerScoreRow(shard, board.id, season, playerId);
      } catch (err) {
        throw new UnavailableError(`region ${down.map((p) => p.region).join(', ')} of leaderboard "${board.id}" is unavailable and the durable copy cannot be read`, { cause: err });
      }
    }
    const from = down.find((p) => p.region === row?.region);
    if (from) throw new UnavailableError(`region ${from.region} of leaderboard "${board.id}" is unavailable, and player ${playerId}'s score is there`);
  }

  /** The best `limit` entries of the board (global: merged from every region) or of one region. */
  async top(boardId: string, options: ReadOptions & { limit: number }): Promise<BoardPage> {
    const board = await this.board(boardId);
    const season = this.readSeason(board, options.season);
    const parts = this.readParts(board, season, options.region);
    const limit = Math.max(0, Math.floor(options.limit));
    const ranked = (e: SortedSetEntry, i: number): RankedScore => ({ rank: i + 1, playerId: e.playerId, score: decodeScore(board.order, e.score) });
    const union = unionStore(parts);
    if (union?.rangeUnion) {
      // Every region on one store that merges them itself: one call, and only the merged entries travel. A store down
      // is all the regions down, which the per-part path below would answer with 503 as well.
      const sets = parts.map((p) => p.set);
      const entries = await this.onSet(board, season, () => (union.rangeUnion as NonNullable<SortedSetStore['rangeUnion']>)(sets, limit));
      return { board: board.id, season, entries: entries.map(ranked) };
    }
    const { values, partial } = settle(parts, await Promise.allSettled(parts.map((p) => this.onSet(board, season, () => p.store.range(p.set, 0, limit)))));
    const lists = values.filter((l): l is SortedSetEntry[] => l !== undefined);
    const entries = mergeFirst(lists, limit).map(ranked);
    return withPartial({ board: board.id, season, entries }, partial);
  }

  /** The player's entry found in the given parts (several only while a region move races), or 404. */
  private async locate(board: Board, season: string, parts: Part[], playerId: string): Promise<{ entry: PlacedEntry; part: Part; partial: string[] }> {
    const { values: found, partial } = settle(parts, await Promise.allSettled(parts.map((p) => this.onSet(board, season, () => p.store.find(p.set, playerId)))));
    let best: { entry: PlacedEntry; part: Part; partial: string[] } | undefined;
    found.forEach((entry, i) => {
      if (entry && (!best || compareEntries(entry, best.entry) < 0)) best = { entry, part: parts[i] as Part, partial };
    });
    // Not in the regions that answered: it may be in one that is down.
    if (!best && partial.length > 0) throw new UnavailableError(`player ${playerId} has no score in the regions of leaderboard "${board.id}" that are up; region ${partial.join(', ')} is unavailable`);
    if (!best) throw new NotFoundError(`player ${playerId} has no score on leaderboard "${board.id}" in season ${season}${parts.length === 1 && parts[0]?.region ? ` in region ${parts[0].region}` : ''}`);
    return best;
  }

  /** The player's score and rank: global (1 + entries ahead in every region), or within `region`. */
  async player(boardId: string, playerId: string, options: ReadOptions = {}): Promise<RankedScore> {
    const board = await this.board(boardId);
    const season = this.readSeason(board, options.season);
    const parts = this.readParts(board, season, options.region);
    const union = unionStore(parts);
    if (union?.findInUnion) {
      // One call finds the player in every region and counts what is ahead of it in each (see `top`).
      const sets = parts.map((p) => p.set);
      const found = await this.onSet(board, season, () => (union.findInUnion as NonNullable<SortedSetStore['findInUnion']>)(sets, playerId));
      if (!found) throw new NotFoundError(`player ${playerId} has no score on leaderboard "${board.id}" in season ${season}`);
      return { playerId, score: decodeScore(board.order, found.score), rank: found.position + 1 };
    }
    const located = await this.locate(board, season, parts, playerId);
    const { entry, part } = located;
    const { values: ahead, partial } = settle(parts, await Promise.allSettled(
      parts.map((p) => (p === part ? Promise.resolve(entry.position) : this.onSet(board, season, () => p.store.neighbourhood(p.set, entry, 0, 0)).then((h) => h.ahead))),
    ));
    const missing = [...new Set([...located.partial, ...partial])].sort();
    return withPartial({ playerId, score: decodeScore(board.order, entry.score), rank: 1 + ahead.reduce<number>((a, b) => a + (b ?? 0), 0) }, missing);
  }

  /** Entries from `limit` above to `limit` below the player, global or within `region`. */
  async around(boardId: string, playerId: string, options: ReadOptions & { limit: number }): Promise<BoardPage> {
    const board = await this.board(boardId);
    const season = this.readSeason(board, options.season);
    const parts = this.readParts(board, season, options.region);
    const limit = Math.max(0, Math.floor(options.limit));
    const located = await this.locate(board, season, parts, playerId);
    const { entry } = located;
    const settled = settle(parts, await Promise.allSettled(parts.map((p) => this.onSet(board, season, () => p.store.neighbourhood(p.set, entry, limit, limit)))));
    const hoods = settled.values.filter((h): h is Neighbourhood => h !== undefined);
    const missing = [...new Set([...located.partial, ...settled.partial])].sort();
    const rank = 1 + hoods.reduce((n, h) => n + h.ahead, 0);
    const above = mergeLast(hoods.map((h) => h.above), limit);
    const below = mergeFirst(hoods.map((h) => h.below), limit);
    const ranked = (e: SortedSetEntry, r: number): RankedScore => ({ rank: r, playerId: e.playerId, score: decodeScore(board.order, e.score) });
    return withPartial({
      board: board.id,
      season,
      entries: [...above.map((e, i) => ranked(e, rank - above.length + i)), ranked(entry, rank), ...below.map((e, i) => ranked(e, rank + 1 + i))],
    }, missing);
  }

  /**
   * Feeds boards that follow a player stat: for every board with `stat` whose stat these events touched, sets the
   * player's score to the stat's current value in `state` (a `best` board keeps the best value it has seen; `set`
   * and `incr` boards take the value as it is, since the stat is already the running total). On a regional board
   * the region is `state.data.region` when it names one of the board's regions; otherwise the board is skipped.
   * Idempotent: the same state again changes nothing (not even the achieved-at time). Rejects with the first error
   * after every board was tried, so the caller can retry the whole call.
   */
  /** Whether some board follows this player stat (lets the stream projection skip everything else cheaply). */
  followsStat(stat: string): boolean {
    for (const board of this.registry.all()) if (board.stat === stat) return true;
    return false;
  }

  async followStats(state: PlayerState, events: readonly RecordedEvent[]): Promise<void> {
    const touched = new Set<string>();
    for (const e of events) if (STAT_EVENTS.has(e.type)) touched.add((e.data as { stat: string }).stat);
    // A rollback (state.restore) may change any stat: every followed stat it had before or has now.
    for (const e of events) if (e.type === 'state.restore') for (const b of this.registry.all()) if (b.stat !== undefined) touched.add(b.stat);
    if (touched.size === 0 || this.guard?.isBanned(state.playerId)) return;
    const jobs: Array<Promise<unknown>> = [];
    for (const board of this.registry.all()) {
      if (board.stat === undefined || !touched.has(board.stat)) continue;
      let region: string | null = null;
      if (board.regions) {
        const r = state.data.region;
        if (typeof r !== 'string' || !board.regions.includes(r)) continue;
        region = r;
      }
      const value = state.stats[board.stat] ?? 0;
      if (!isValidScore(value)) continue;
      jobs.push(this.apply(board, state.playerId, value, region, board.operator === 'best' ? 'best' : 'set'));
    }
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  // ---- anti-cheat hooks (the rules themselves live in src/anticheat) ----

  /** Sets the guard every score submission goes through. */
  setGuard(guard: ScoreGuard | undefined): void {
    this.guard = guard;
  }

  /** The player's score in a season of the board, or undefined. */
  private readonly readCurrentScore = (board: Board, season: string, playerId: string) => this.currentScore(board, season, playerId);

  private async currentScore(board: Board, season: string, playerId: string): Promise<number | undefined> {
    try {
      return decodeScore(board.order, (await this.locate(board, season, this.parts(board, season), playerId)).entry.score);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** The global rank a score would have now, without writing it. */
  private async rankOf(board: Board, season: string, score: number): Promise<number> {
    const key = { playerId: '', score: encodeScore(board.order, score), at: this.stamps.next() };
    const hoods = await Promise.all(this.parts(board, season).map((p) => this.onSet(board, season, () => p.store.neighbourhood(p.set, key, 0, 0))));
    return 1 + hoods.reduce((n, h) => n + h.ahead, 0);
  }

  /** Writes a score that was held for review into the season it was submitted in, with the board's operator. */
  async release(boardId: string, season: string, playerId: string, score: number, region: string | null): Promise<SubmittedScore> {
    const board = await this.board(boardId);
    if (region !== null && !board.regions?.includes(region)) throw new InvalidArgumentError(`leaderboard "${board.id}" has no region "${region}" any more`);
    return this.apply(board, playerId, score, board.regions ? region : null, board.operator, season);
  }

  /** The (board, season) pairs the player may have an entry in: its durable copy, plus every board's current season. */
  private async seasonsOf(playerId: string): Promise<Array<{ board: Board; season: string; rows: ScoreRow[] }>> {
    await this.copy.flushAll(Date.now() + this.shutdownTimeoutMs);
    const rows = await readPlayerScoreRows(this.sql.shards[this.router.shardOf(playerId)] ?? this.shard0(), playerId);
    const out = new Map<string, { board: Board; season: string; rows: ScoreRow[] }>();
    const add = (board: Board, season: string, row?: ScoreRow) => {
      const key = `${board.id}\u0000${season}`;
      const item = out.get(key) ?? { board, season, rows: [] };
      if (row) item.rows.push(row);
      out.set(key, item);
    };
    for (const board of this.registry.all()) add(board, seasonAt(board.reset, this.clock.now()));
    for (const row of rows) {
      const board = this.registry.get(row.board);
      if (board) add(board, row.season, row);
    }
    return [...out.values()];
  }

  /**
   * Takes the player's entries off every board (every region, every season with a durable copy). The durable copy
   * keeps them (see restorePlayer); the guard must already say the player is banned, so no new write lands after.
   */
  async removePlayer(playerId: string): Promise<number> {
    let removed = 0;
    for (const { board, season } of await this.seasonsOf(playerId)) {
      await this.inflight.settled(board.id, season);
      const taken = await Promise.all(this.parts(board, season).map((p) => this.onSet(board, season, () => p.store.take(p.set, playerId))));
      removed += taken.filter((t) => t !== undefined).length;
    }
    return removed;
  }

  /** Puts the player's entries back from the durable copy (after an unban); returns how many. */
  async restorePlayer(playerId: string): Promise<number> {
    let restored = 0;
    for (const { board, season, rows } of await this.seasonsOf(playerId)) {
      for (const row of rows) {
        const part = this.parts(board, season).find((p) => p.region === (board.regions ? row.region : null));
        if (!part) continue;
        await this.onSet(board, season, () => part.store.submit(part.set, playerId, { op: 'set', value: encodeScore(board.order, row.score), at: row.at }));
        restored++;
      }
    }
    return restored;
  }
}

/** A submission as the guard sees it: the player's current score is read only when a rule asks for it. */
class Submission implements GuardedSubmission {
  readonly board: string;
  readonly order: Board['order'];

  constructor(
    private readonly definition: Board, readonly season: string, readonly playerId: string, readonly score: number, readonly region: string | null,
    private readonly read: (board: Board, season: string, playerId: string) => Promise<number | undefined>,
  ) {
    this.board = definition.id;
    this.order = definition.order;
  }

  previous(): Promise<number | undefined> {
    return this.read(this.definition, this.season, this.playerId);
  }
}

/** A regional write met a board season being rebuilt while it held a player's taken entry; it is retried from the start. */
class RestartWrite extends Error {
  constructor(readonly cause: unknown) {
    super('restart the write after the rebuild');
  }
}

/** Several entries of one player taken from other regions (only after racing moves): one base, as the port combines. */
function combineCarried(entries: readonly SortedSetEntry[], op: 'min' | 'set' | 'add'): SortedSetEntry | undefined {
  if (entries.length <= 1) return entries[0];
  if (op === 'min') return [...entries].sort(compareEntries)[0];
  const latest = entries.reduce((a, b) => (b.at > a.at ? b : a));
  if (op === 'set') return latest;
  return { ...latest, score: entries.reduce((n, e) => n + e.score, 0) };
}
