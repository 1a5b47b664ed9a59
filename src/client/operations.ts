// Every operation of the API, by the operationId of /openapi.json: its method and path, and its request and response
// types, taken from the zod schemas the server validates and answers with (type imports only: nothing of the server
// is loaded). A route added to the server gets a line in OPERATIONS, an entry in Operations and a method in
// client.ts; test/e2e/client.e2e.test.ts fails for a registered route that has none.
import type { z } from 'zod';
import type { boardDefinitionSchema } from '../leaderboards/board-definition.js';
import type { appendRequestSchema } from '../players/player-events.js';
import type { configQuerySchema, configSnapshotSchema, configStatusSchema } from '../http/routes/config.js';
import type {
  aroundQuerySchema, boardInfoSchema, boardListSchema, boardPageSchema, playerScoreQuerySchema, playerScoreSchema, rebuildQuerySchema,
  rebuildReportSchema, submitScoreSchema, submittedScoreSchema, topQuerySchema,
} from '../http/routes/leaderboards.js';
import type { healthSchema, metricsSchema, openApiSchema, readinessSchema } from '../http/routes/ops.js';
import type {
  appendResultSchema, batchGetRequestSchema, batchGetResultSchema, eventsPageSchema, eventsQuerySchema, playerQuerySchema, playerStateSchema,
  stateAtQuerySchema,
} from '../http/routes/players.js';
import type {
  auditQuerySchema, auditSchema, banRequestSchema, banSchema, flagListSchema, flagQuerySchema, flagSchema, rollbackRequestSchema, rollbackResultSchema,
  unbanRequestSchema,
} from '../http/routes/anticheat.js';
import type { economySchema, tradeCommittedSchema, tradeRequestSchema, tradeViewSchema } from '../http/routes/trades.js';
import type {
  matchResultRequestSchema, matchSchema, queueDetailQuerySchema, queueDetailSchema, queuesSchema, ticketQuerySchema, ticketRequestSchema, ticketSchema,
} from '../http/routes/matchmaking.js';
import type { overviewSchema } from '../http/routes/overview.js';
import type { instancesResponseSchema } from '../fleet/http.js';
import type { moveResultSchema, rebalanceRequestSchema, shardPlanSchema, shardStatusSchema } from '../http/routes/shards.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface OperationInfo {
  method: HttpMethod;
  /** As /openapi.json writes it: `{name}` for a path parameter. */
  path: string;
  /** Statuses whose body is the operation's answer rather than an error (readiness answers 503 with its report). */
  answers?: readonly number[];
  /** Media type of the answer. Default application/json. */
  contentType?: 'text/plain';
}

export const OPERATIONS = {
  appendEvents: { method: 'POST', path: '/v1/players/{id}/events' },
  getPlayer: { method: 'GET', path: '/v1/players/{id}' },
  batchGetPlayers: { method: 'POST', path: '/v1/players:batchGet' },
  listEvents: { method: 'GET', path: '/v1/players/{id}/events' },
  getStateAt: { method: 'GET', path: '/v1/players/{id}/state-at' },
  getConfig: { method: 'GET', path: '/v1/config' },
  getConfigStatus: { method: 'GET', path: '/v1/config/status' },
  reloadConfig: { method: 'POST', path: '/v1/config/reload' },
  defineLeaderboard: { method: 'PUT', path: '/v1/leaderboards/{board}' },
  listLeaderboards: { method: 'GET', path: '/v1/leaderboards' },
  submitScore: { method: 'POST', path: '/v1/leaderboards/{board}/scores' },
  getTop: { method: 'GET', path: '/v1/leaderboards/{board}/top' },
  getPlayerScore: { method: 'GET', path: '/v1/leaderboards/{board}/players/{id}' },
  getAround: { method: 'GET', path: '/v1/leaderboards/{board}/around/{id}' },
  rebuildLeaderboard: { method: 'POST', path: '/v1/leaderboards/{board}:rebuild' },
  health: { method: 'GET', path: '/healthz' },
  readiness: { method: 'GET', path: '/readyz', answers: [503] },
  metrics: { method: 'GET', path: '/metrics', contentType: 'text/plain' },
  openApi: { method: 'GET', path: '/openapi.json' },
  listInstances: { method: 'GET', path: '/v1/admin/instances' },
  createTicket: { method: 'POST', path: '/v1/matchmaking/tickets' },
  getTicket: { method: 'GET', path: '/v1/matchmaking/tickets/{ticketId}' },
  cancelTicket: { method: 'DELETE', path: '/v1/matchmaking/tickets/{ticketId}' },
  getMatch: { method: 'GET', path: '/v1/matchmaking/matches/{matchId}' },
  submitMatchResult: { method: 'POST', path: '/v1/matchmaking/matches/{matchId}/result' },
  listQueues: { method: 'GET', path: '/v1/matchmaking/queues' },
  createTrade: { method: 'POST', path: '/v1/trades' },
  getTrade: { method: 'GET', path: '/v1/trades/{tradeId}' },
  getEconomy: { method: 'GET', path: '/v1/admin/economy' },
  listFlags: { method: 'GET', path: '/v1/admin/anticheat/flags' },
  clearFlag: { method: 'POST', path: '/v1/admin/anticheat/flags/{id}:clear' },
  banPlayer: { method: 'POST', path: '/v1/admin/players/{id}:ban' },
  unbanPlayer: { method: 'POST', path: '/v1/admin/players/{id}:unban' },
  rollbackPlayer: { method: 'POST', path: '/v1/admin/players/{id}:rollback' },
  listAudit: { method: 'GET', path: '/v1/admin/audit' },
  getShards: { method: 'GET', path: '/v1/admin/shards' },
  rebalanceShards: { method: 'POST', path: '/v1/admin/shards:rebalance' },
  drainShard: { method: 'POST', path: '/v1/admin/shards/{id}:drain' },
  cancelShardMove: { method: 'POST', path: '/v1/admin/shards:cancel' },
  getOverview: { method: 'GET', path: '/v1/admin/overview' },
  getQueueDetail: { method: 'GET', path: '/v1/admin/matchmaking/queues/{queue}' },
} as const satisfies Record<string, OperationInfo>;

export type OperationId = keyof typeof OPERATIONS;

/** What one operation takes and answers. `never`: it has none. */
export interface Operation<Params, Query, Body, Response> {
  params: Params;
  query: Query;
  body: Body;
  response: Response;
}

type In<S extends z.ZodType> = z.input<S>;
type Out<S extends z.ZodType> = z.output<S>;
type Id = { id: string };
type Board = { board: string };
type Ticket = { ticketId: string };
type Match = { matchId: string };

export interface Operations {
  appendEvents: Operation<Id, never, In<typeof appendRequestSchema>, Out<typeof appendResultSchema>>;
  getPlayer: Operation<Id, In<typeof playerQuerySchema>, never, Out<typeof playerStateSchema>>;
  batchGetPlayers: Operation<never, never, In<typeof batchGetRequestSchema>, Out<typeof batchGetResultSchema>>;
  listEvents: Operation<Id, In<typeof eventsQuerySchema>, never, Out<typeof eventsPageSchema>>;
  getStateAt: Operation<Id, In<typeof stateAtQuerySchema>, never, Out<typeof playerStateSchema>>;
  getConfig: Operation<never, In<typeof configQuerySchema>, never, Out<typeof configSnapshotSchema>>;
  getConfigStatus: Operation<never, never, never, Out<typeof configStatusSchema>>;
  reloadConfig: Operation<never, never, never, Out<typeof configStatusSchema>>;
  defineLeaderboard: Operation<Board, never, In<typeof boardDefinitionSchema>, Out<typeof boardInfoSchema>>;
  listLeaderboards: Operation<never, never, never, Out<typeof boardListSchema>>;
  submitScore: Operation<Board, never, In<typeof submitScoreSchema>, Out<typeof submittedScoreSchema>>;
  getTop: Operation<Board, In<typeof topQuerySchema>, never, Out<typeof boardPageSchema>>;
  getPlayerScore: Operation<Board & Id, In<typeof playerScoreQuerySchema>, never, Out<typeof playerScoreSchema>>;
  getAround: Operation<Board & Id, In<typeof aroundQuerySchema>, never, Out<typeof boardPageSchema>>;
  rebuildLeaderboard: Operation<Board, In<typeof rebuildQuerySchema>, never, Out<typeof rebuildReportSchema>>;
  health: Operation<never, never, never, Out<typeof healthSchema>>;
  readiness: Operation<never, never, never, Out<typeof readinessSchema>>;
  metrics: Operation<never, never, never, Out<typeof metricsSchema>>;
  openApi: Operation<never, never, never, Out<typeof openApiSchema>>;
  listInstances: Operation<never, never, never, Out<typeof instancesResponseSchema>>;
  createTicket: Operation<never, never, In<typeof ticketRequestSchema>, Out<typeof ticketSchema>>;
  getTicket: Operation<Ticket, In<typeof ticketQuerySchema>, never, Out<typeof ticketSchema>>;
  cancelTicket: Operation<Ticket, never, never, Out<typeof ticketSchema>>;
  getMatch: Operation<Match, never, never, Out<typeof matchSchema>>;
  submitMatchResult: Operation<Match, never, In<typeof matchResultRequestSchema>, Out<typeof matchSchema>>;
  listQueues: Operation<never, never, never, Out<typeof queuesSchema>>;
  createTrade: Operation<never, never, In<typeof tradeRequestSchema>, Out<typeof tradeCommittedSchema>>;
  getTrade: Operation<{ tradeId: string }, never, never, Out<typeof tradeViewSchema>>;
  getEconomy: Operation<never, never, never, Out<typeof economySchema>>;
  listFlags: Operation<never, In<typeof flagQuerySchema>, never, Out<typeof flagListSchema>>;
  clearFlag: Operation<Id, never, never, Out<typeof flagSchema>>;
  banPlayer: Operation<Id, never, In<typeof banRequestSchema>, Out<typeof banSchema>>;
  unbanPlayer: Operation<Id, never, In<typeof unbanRequestSchema>, Out<typeof banSchema>>;
  rollbackPlayer: Operation<Id, never, In<typeof rollbackRequestSchema>, Out<typeof rollbackResultSchema>>;
  listAudit: Operation<never, In<typeof auditQuerySchema>, never, Out<typeof auditSchema>>;
  getShards: Operation<never, never, never, Out<typeof shardStatusSchema>>;
  /** 200 with the plan for a dry run; 202 with the move started otherwise. */
  rebalanceShards: Operation<never, never, In<typeof rebalanceRequestSchema>, Out<typeof shardPlanSchema> | Out<typeof moveResultSchema>>;
  drainShard: Operation<Id, never, never, Out<typeof moveResultSchema>>;
  cancelShardMove: Operation<never, never, never, Out<typeof moveResultSchema>>;
  getOverview: Operation<never, never, never, Out<typeof overviewSchema>>;
  getQueueDetail: Operation<{ queue: string }, In<typeof queueDetailQuerySchema>, never, Out<typeof queueDetailSchema>>;
}

// Every operation in the table has types, and every typed operation is in the table.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const tableMatchesTypes: Same<OperationId, keyof Operations> = true;
void tableMatchesTypes;

/** The request of an operation: its path parameters, query and body, each present only when it has one. */
export type RequestOf<K extends OperationId> = ([Operations[K]['params']] extends [never] ? object : { params: Operations[K]['params'] }) &
  ([Operations[K]['query']] extends [never] ? object : { query?: Operations[K]['query'] }) &
  ([Operations[K]['body']] extends [never] ? object : { body: Operations[K]['body'] });

export type ResponseOf<K extends OperationId> = Operations[K]['response'];
