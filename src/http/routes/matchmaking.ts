// Matchmaking routes of API.md: tickets, matches, results, queues.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { NAME_PATTERN } from '../../players/index.js';
import type { Realm } from '../../realm.js';
import { defineRoute, queryInt } from '../route-spec.js';

const name = z.string().regex(NAME_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 _ - . :');
const id = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an id as returned by the server');
const latencies = z
  .record(name, z.number().min(0).max(60_000))
  .refine((l) => Object.keys(l).length >= 1 && Object.keys(l).length <= 32, 'between 1 and 32 regions');

const ticketPlayer = z.object({ playerId: name, latencies }).strict();
// What the routes take and answer: the OpenAPI document and the typed client are made from these.
const quality = z.object({ ratingSpread: z.number(), maxLatencyMs: z.number(), predictedDraw: z.number() });
export const matchSchema = z.object({
  matchId: z.string(),
  queue: z.string(),
  region: z.string(),
  teams: z.array(z.array(z.string())),
  createdAt: z.string(),
  quality,
  result: z.object({ ranks: z.array(z.number().int()) }).nullable(),
}).meta({ id: 'Match' });
export const ticketSchema = z.object({
  ticketId: z.string(),
  queue: z.string(),
  status: z.enum(['searching', 'matched', 'cancelled', 'expired']),
  players: z.array(ticketPlayer),
  createdAt: z.string(),
  match: matchSchema.nullable(),
}).meta({ id: 'Ticket' });
export const queuesSchema = z.object({
  queues: z.array(z.object({ name: z.string(), searching: z.number().int(), oldestWaitSeconds: z.number(), matchesLastMinute: z.number().int() })),
});

export const queueDetailSchema = z.object({
  name: z.string(),
  searching: z.array(ticketSchema.extend({ waitSeconds: z.number().describe('seconds since the ticket was created') })).describe('searching tickets, oldest first'),
  recentMatches: z.array(matchSchema).describe('newest first: every match of the last minute, and at least the 20 newest'),
});
export const queueParamsSchema = z.object({ queue: name });
export const queueDetailQuerySchema = z.object({ limit: queryInt(1, 100, 20) });

export const ticketRequestSchema = z.object({ queue: name, players: z.array(ticketPlayer).min(1).max(64) }).strict();
export const ticketParamsSchema = z.object({ ticketId: id });
export const ticketQuerySchema = z.object({ waitSeconds: queryInt(0, 30, 0) });
export const matchParamsSchema = z.object({ matchId: id });
export const matchResultRequestSchema = z.object({ ranks: z.array(z.number().int().min(1).max(16)).min(2).max(16) }).strict();
const conflictError = z.object({ code: z.literal('conflict'), message: z.string() });
/** 409 of a new ticket: `ticketId` is the open ticket a player already has. */
export const ticketConflictSchema = z.object({ error: conflictError, ticketId: z.string() });
/** 409 of a cancel: `status` is what the ticket already is. */
export const cancelConflictSchema = z.object({ error: conflictError, status: z.string().describe('what the ticket already is: matched, cancelled or expired') });
/** 409 of a second result for a match. */
export const resultConflictSchema = z.object({ error: conflictError });

export function matchmakingRoutes(app: FastifyInstance, realm: Realm): void {
  const mm = realm.matchmaking;

  defineRoute(app, {
    method: 'POST',
    url: '/v1/matchmaking/tickets',
    operationId: 'createTicket',
    summary: 'Queue one player or a party (kept on one team) for a match',
    tag: 'matchmaking',
    access: 'game',
    body: ticketRequestSchema,
    errors: [400, 401, 404, 409, 429, 503],
    responses: { 201: ticketSchema, 409: ticketConflictSchema },
    handler: async ({ body }, reply: FastifyReply) => reply.status(201).send(await mm.createTicket(body)),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/matchmaking/tickets/:ticketId',
    operationId: 'getTicket',
    summary: 'A ticket and its match; with waitSeconds, answers once it stops searching or after that long',
    tag: 'matchmaking',
    access: 'game',
    params: ticketParamsSchema,
    query: ticketQuerySchema,
    errors: [400, 401, 404, 503],
    responses: { 200: ticketSchema },
    handler: async ({ params, query }) => mm.getTicket(params.ticketId, query.waitSeconds),
  });

  defineRoute(app, {
    method: 'DELETE',
    url: '/v1/matchmaking/tickets/:ticketId',
    operationId: 'cancelTicket',
    summary: 'Cancel a searching ticket (409 once matched or expired)',
    tag: 'matchmaking',
    access: 'game',
    params: ticketParamsSchema,
    errors: [400, 401, 404, 409, 503],
    responses: { 200: ticketSchema, 409: cancelConflictSchema },
    handler: async ({ params }) => mm.cancelTicket(params.ticketId),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/matchmaking/matches/:matchId',
    operationId: 'getMatch',
    summary: 'A match: teams, region, quality and result',
    tag: 'matchmaking',
    access: 'game',
    params: matchParamsSchema,
    errors: [400, 401, 404, 503],
    responses: { 200: matchSchema },
    handler: async ({ params }) => mm.getMatch(params.matchId),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/v1/matchmaking/matches/:matchId/result',
    operationId: 'submitMatchResult',
    summary: "Record a match's result once (1 = best, equal ranks = draw) and update every player's rating",
    tag: 'matchmaking',
    access: 'game',
    params: matchParamsSchema,
    body: matchResultRequestSchema,
    errors: [400, 401, 404, 409, 503],
    responses: { 200: matchSchema, 409: resultConflictSchema },
    handler: async ({ params, body }) => mm.submitResult(params.matchId, body.ranks),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/matchmaking/queues',
    operationId: 'listQueues',
    summary: 'Every queue of the game config with its searching tickets, oldest wait and recent matches',
    tag: 'matchmaking',
    access: 'game',
    errors: [401, 503],
    responses: { 200: queuesSchema },
    handler: async () => ({ queues: await mm.queues() }),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/admin/matchmaking/queues/:queue',
    operationId: 'getQueueDetail',
    summary: "(admin) One queue's searching tickets with their waits (oldest first) and its recent matches with their quality (newest first)",
    tag: 'matchmaking',
    access: 'admin',
    params: queueParamsSchema,
    query: queueDetailQuerySchema,
    errors: [400, 401, 403, 404, 503],
    responses: { 200: queueDetailSchema },
    handler: async ({ params, query }) => mm.queueDetail(params.queue, query.limit),
  });
}
