// The typed client of the Realmstate HTTP API: one method per operation of /openapi.json, built on Node's own fetch.
// fetch keeps connections alive and reuses them (undici's pool); each attempt has a timeout; 429 and 503 answers,
// which the server gives before doing anything, are retried with exponential backoff, honouring Retry-After.
import { apiErrorOf, RealmstateNetworkError, RealmstateTimeoutError, type ApiErrorBody } from './errors.js';
import { OPERATIONS, type OperationId, type OperationInfo, type Operations, type RequestOf, type ResponseOf } from './operations.js';

export interface RealmstateClientOptions {
  /** Where the server listens, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** The game-server key (or the admin key, which also works on every game-server route). Needed on every /v1 route. */
  apiKey?: string;
  /** Give up on one attempt after this long. Default 10000 ms. */
  timeoutMs?: number;
  /** Retries after a 429 or 503 answer (nothing was written). Default 3; 0 turns retrying off. */
  retries?: number;
  /** Backoff before the first retry without Retry-After; doubles at each retry, with jitter. Default 100 ms. */
  retryDelayMs?: number;
  /** Longest wait before a retry. A longer Retry-After is not waited for: the error is thrown at once. Default 10000 ms. */
  maxRetryDelayMs?: number;
  /** Headers sent on every request (a user agent, a trace id). */
  headers?: Record<string, string>;
  /** The fetch to use. Default the global one (Node 20's undici, with keep-alive). */
  fetch?: typeof fetch;
}

export const DEFAULT_CLIENT_OPTIONS = Object.freeze({ timeoutMs: 10_000, retries: 3, retryDelayMs: 100, maxRetryDelayMs: 10_000 });

/** Options of one call. */
export interface CallOptions {
  /** Aborts the call (and its retries). */
  signal?: AbortSignal;
  /** This call's timeout per attempt, instead of the client's. */
  timeoutMs?: number;
}

/** A whole answer: status, headers and body. */
export interface Answer<K extends OperationId> {
  status: number;
  headers: Headers;
  body: ResponseOf<K>;
}

type Q<K extends OperationId> = Operations[K]['query'];
type B<K extends OperationId> = Operations[K]['body'];
type R<K extends OperationId> = Promise<ResponseOf<K>>;

export class RealmstateClient {
  private readonly baseUrl: string;
  private readonly options: Required<Omit<RealmstateClientOptions, 'apiKey' | 'headers' | 'baseUrl'>>;
  private readonly headers: Record<string, string>;

  constructor(options: RealmstateClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.options = {
      timeoutMs: options.timeoutMs ?? DEFAULT_CLIENT_OPTIONS.timeoutMs,
      retries: options.retries ?? DEFAULT_CLIENT_OPTIONS.retries,
      retryDelayMs: options.retryDelayMs ?? DEFAULT_CLIENT_OPTIONS.retryDelayMs,
      maxRetryDelayMs: options.maxRetryDelayMs ?? DEFAULT_CLIENT_OPTIONS.maxRetryDelayMs,
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    };
    this.headers = { accept: 'application/json', ...options.headers, ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) };
  }

  // Players

  /** Appends 1–100 events to a player, all or nothing; the first event creates the player. */
  appendEvents(id: string, body: B<'appendEvents'>, options?: CallOptions): R<'appendEvents'> {
    return this.body('appendEvents', { params: { id }, body }, options);
  }

  /** A player's state. `call('getPlayer', …)` also gives the x-realmstate-source header. */
  getPlayer(id: string, query?: Q<'getPlayer'>, options?: CallOptions): R<'getPlayer'> {
    return this.body('getPlayer', { params: { id }, query }, options);
  }

  /** Up to 1000 players at once; ids without a player are listed in `missing`. */
  batchGetPlayers(ids: string[], options?: CallOptions): R<'batchGetPlayers'> {
    return this.body('batchGetPlayers', { body: { ids } }, options);
  }

  /** A page of a player's event log: events after `after`, at most `limit`; `nextAfter` is null on the last page. */
  listEvents(id: string, query?: Q<'listEvents'>, options?: CallOptions): R<'listEvents'> {
    return this.body('listEvents', { params: { id }, query }, options);
  }

  /** The state after events 1..seq. */
  getStateAt(id: string, seq: number, options?: CallOptions): R<'getStateAt'> {
    return this.body('getStateAt', { params: { id }, query: { seq } }, options);
  }

  // Game config

  /** The live game config; with `playerId`, that player's experiment overrides merged in. */
  getConfig(query?: Q<'getConfig'>, options?: CallOptions): R<'getConfig'> {
    return this.body('getConfig', { query }, options);
  }

  /** (admin) Version, hash and reloads of the live config. */
  getConfigStatus(options?: CallOptions): R<'getConfigStatus'> {
    return this.body('getConfigStatus', {}, options);
  }

  /** (admin) Re-reads the config file now; RealmstateApiError `rejected` when it is not valid. */
  reloadConfig(options?: CallOptions): R<'reloadConfig'> {
    return this.body('reloadConfig', {}, options);
  }

  // Leaderboards

  /** (admin) Creates or replaces a leaderboard; its scores are kept. */
  defineLeaderboard(board: string, definition: B<'defineLeaderboard'>, options?: CallOptions): R<'defineLeaderboard'> {
    return this.body('defineLeaderboard', { params: { board }, body: definition }, options);
  }

  listLeaderboards(options?: CallOptions): R<'listLeaderboards'> {
    return this.body('listLeaderboards', {}, options);
  }

  /** Submits a score; answers the stored score (after the board's operator) and the global rank. */
  submitScore(board: string, body: B<'submitScore'>, options?: CallOptions): R<'submitScore'> {
    return this.body('submitScore', { params: { board }, body }, options);
  }

  getTop(board: string, query?: Q<'getTop'>, options?: CallOptions): R<'getTop'> {
    return this.body('getTop', { params: { board }, query }, options);
  }

  getPlayerScore(board: string, id: string, query?: Q<'getPlayerScore'>, options?: CallOptions): R<'getPlayerScore'> {
    return this.body('getPlayerScore', { params: { board, id }, query }, options);
  }

  getAround(board: string, id: string, query?: Q<'getAround'>, options?: CallOptions): R<'getAround'> {
    return this.body('getAround', { params: { board, id }, query }, options);
  }

  /** (admin) Rebuilds a board's season from PostgreSQL. */
  rebuildLeaderboard(board: string, query?: Q<'rebuildLeaderboard'>, options?: CallOptions): R<'rebuildLeaderboard'> {
    return this.body('rebuildLeaderboard', { params: { board }, query }, options);
  }

  // Matchmaking

  /** Queues one player or a party (kept on one team); answers the ticket (201), `searching`. */
  createTicket(body: B<'createTicket'>, options?: CallOptions): R<'createTicket'> {
    return this.body('createTicket', { body }, options);
  }

  /** A ticket and its match; with `waitSeconds`, answers once it stops searching or after that long. */
  getTicket(ticketId: string, query?: Q<'getTicket'>, options?: CallOptions): R<'getTicket'> {
    return this.body('getTicket', { params: { ticketId }, query }, options);
  }

  /** Cancels a searching ticket; RealmstateApiError `conflict` once it is matched or expired. */
  cancelTicket(ticketId: string, options?: CallOptions): R<'cancelTicket'> {
    return this.body('cancelTicket', { params: { ticketId } }, options);
  }

  getMatch(matchId: string, options?: CallOptions): R<'getMatch'> {
    return this.body('getMatch', { params: { matchId } }, options);
  }

  /** Records a match's result once (one rank per team, 1 = best) and updates every player's rating. */
  submitMatchResult(matchId: string, ranks: number[], options?: CallOptions): R<'submitMatchResult'> {
    return this.body('submitMatchResult', { params: { matchId }, body: { ranks } }, options);
  }

  listQueues(options?: CallOptions): R<'listQueues'> {
    return this.body('listQueues', {}, options);
  }

  /** (admin) One queue's searching tickets (oldest first, with their waits) and recent matches (newest first). */
  getQueueDetail(queue: string, query?: Q<'getQueueDetail'>, options?: CallOptions): R<'getQueueDetail'> {
    return this.body('getQueueDetail', { params: { queue }, query }, options);
  }

  // Trades and economy

  /** Trades goods between two players, all or nothing; the same tradeId with the same body answers the first outcome again. */
  createTrade(body: B<'createTrade'>, options?: CallOptions): R<'createTrade'> {
    return this.body('createTrade', { body }, options);
  }

  getTrade(tradeId: string, options?: CallOptions): R<'getTrade'> {
    return this.body('getTrade', { params: { tradeId } }, options);
  }

  /** (admin) The economy's books: created, destroyed and held per item and stat. */
  getEconomy(options?: CallOptions): R<'getEconomy'> {
    return this.body('getEconomy', {}, options);
  }

  // Anti-cheat

  /** (admin) Flags raised by the rules, newest first. */
  listFlags(query?: Q<'listFlags'>, options?: CallOptions): R<'listFlags'> {
    return this.body('listFlags', { query }, options);
  }

  /** (admin) Clears a flag; a score it held in quarantine goes onto its board. */
  clearFlag(id: string, options?: CallOptions): R<'clearFlag'> {
    return this.body('clearFlag', { params: { id } }, options);
  }

  /** (admin) Bans a player: its scores leave every board, its appends and submissions get `banned`. */
  banPlayer(id: string, reason: string, options?: CallOptions): R<'banPlayer'> {
    return this.body('banPlayer', { params: { id }, body: { reason } }, options);
  }

  /** (admin) Lifts a ban: the scores come back. */
  unbanPlayer(id: string, reason?: string, options?: CallOptions): R<'unbanPlayer'> {
    return this.body('unbanPlayer', { params: { id }, body: reason === undefined ? undefined : { reason } }, options);
  }

  /** (admin) Appends one state.restore event that brings the player back to its state at `toSeq`. */
  rollbackPlayer(id: string, toSeq: number, reason: string, options?: CallOptions): R<'rollbackPlayer'> {
    return this.body('rollbackPlayer', { params: { id }, body: { toSeq, reason } }, options);
  }

  /** (admin) Every admin action, newest first. */
  listAudit(query?: Q<'listAudit'>, options?: CallOptions): R<'listAudit'> {
    return this.body('listAudit', { query }, options);
  }

  // Shards

  /** (admin) The slot map: each shard, the slots it owns, and the latest move. */
  getShards(options?: CallOptions): R<'getShards'> {
    return this.body('getShards', {}, options);
  }

  /** (admin) Starts a rebalance (the move, answered 202); with `dryRun`, only the plan (200), nothing changes. */
  rebalanceShards(body?: B<'rebalanceShards'>, options?: CallOptions): R<'rebalanceShards'> {
    return this.body('rebalanceShards', { body }, options);
  }

  /** (admin) Moves every slot off a shard, so it can be removed from DATABASE_URLS (202 with the move). */
  drainShard(id: number | string, options?: CallOptions): R<'drainShard'> {
    return this.body('drainShard', { params: { id: String(id) } }, options);
  }

  /** (admin) Stops the running move; RealmstateApiError `conflict` when none runs. */
  cancelShardMove(options?: CallOptions): R<'cancelShardMove'> {
    return this.body('cancelShardMove', {}, options);
  }

  // Fleet

  /** (admin) The live instances of the fleet and how many slots each holds. */
  listInstances(options?: CallOptions): R<'listInstances'> {
    return this.body('listInstances', {}, options);
  }

  // Operations

  /** (admin) This instance's live figures: requests/s, p99, outbox lag, write-behind pending, config version. */
  getOverview(options?: CallOptions): R<'getOverview'> {
    return this.body('getOverview', {}, options);
  }

  health(options?: CallOptions): R<'health'> {
    return this.body('health', {}, options);
  }

  /** Which backends answer. Resolves on 503 too (with the backends that are down): see `ready`. */
  readiness(options?: CallOptions): Promise<ResponseOf<'readiness'> & { ready: boolean }> {
    return this.call('readiness', {}, options).then((a) => ({ ...a.body, ready: a.status === 200 }));
  }

  /** Prometheus text. */
  metrics(options?: CallOptions): R<'metrics'> {
    return this.body('metrics', {}, options);
  }

  openApi(options?: CallOptions): R<'openApi'> {
    return this.body('openApi', {}, options);
  }

  /** Any operation by its operationId, with the whole answer (status, headers, body). */
  async call<K extends OperationId>(operation: K, request: RequestOf<K>, options: CallOptions = {}): Promise<Answer<K>> {
    const op: OperationInfo = OPERATIONS[operation];
    const { params, query, body } = request as { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown };
    const url = this.baseUrl + pathOf(op.path, params) + queryOf(query);
    const headers: Record<string, string> = { ...this.headers };
    if (op.contentType) headers.accept = op.contentType;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    for (let attempt = 0; ; attempt++) {
      const { status, headers: answerHeaders, text } = await this.attempt(operation, op.method, url, headers, payload, options);
      if (status < 400 || op.answers?.includes(status)) return { status, headers: answerHeaders, body: parse(operation, op, status, text) as ResponseOf<K> };
      const error = apiErrorOf(operation, status, errorBody(status, text));
      const delay = attempt < this.options.retries && (status === 429 || status === 503) ? this.retryDelay(attempt, answerHeaders) : undefined;
      if (delay === undefined) throw error;
      await sleep(delay, options.signal);
    }
  }

  private async body<K extends OperationId>(operation: K, request: RequestOf<K>, options: CallOptions | undefined): Promise<ResponseOf<K>> {
    return (await this.call(operation, request, options)).body;
  }

  private async attempt(operation: string, method: string, url: string, headers: Record<string, string>, payload: string | undefined, options: CallOptions) {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      const res = await this.options.fetch(url, { method, headers, body: payload, signal });
      // Reading the body to its end also hands the connection back to the pool for the next request.
      return { status: res.status, headers: res.headers, text: await res.text() };
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout.aborted) throw new RealmstateTimeoutError(operation, timeoutMs);
      throw new RealmstateNetworkError(operation, err);
    }
  }

  /** How long to wait before retry number `attempt + 1`, or undefined when Retry-After asks for more than the cap. */
  private retryDelay(attempt: number, headers: Headers): number | undefined {
    const after = Number(headers.get('retry-after'));
    if (Number.isFinite(after) && after > 0) {
      const ms = after * 1000;
      return ms > this.options.maxRetryDelayMs ? undefined : ms;
    }
    const backoff = this.options.retryDelayMs * 2 ** attempt;
    // Full jitter in the upper half: clients that failed together do not all come back together.
    return Math.min(this.options.maxRetryDelayMs, backoff / 2 + Math.random() * (backoff / 2));
  }
}

function pathOf(template: string, params: Record<string, string> | undefined): string {
  // ':' is legal in ids and in a path segment; keeping it literal keeps `{board}:rebuild` readable in logs.
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(String(params?.[name] ?? '')).replace(/%3A/gi, ':'));
}

function queryOf(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
  const s = search.toString();
  return s ? `?${s}` : '';
}

function parse(operation: string, op: OperationInfo, status: number, text: string): unknown {
  if (op.contentType === 'text/plain') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RealmstateNetworkError(operation, new Error(`status ${status} with a body that is not JSON: ${text.slice(0, 200)}`, { cause: err }));
  }
}

function errorBody(status: number, text: string): ApiErrorBody {
  try {
    const body = JSON.parse(text) as ApiErrorBody;
    if (typeof body?.error?.code === 'string') return body;
  } catch {
    // Not the API's error shape (a proxy's page): described below.
  }
  return { error: { code: status >= 500 ? 'unavailable' : 'invalid_argument', message: `status ${status}: ${text.slice(0, 200)}` } };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort(): void {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}
