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
const quality = z.object({ ratingSpread: z.number(), maxLatencyMs: z.number(), predictedDraw: z.number() });
const matchSchema = z.object({
  matchId: z.string(),
  queue: z.string(),
  region: z.string(),
  teams: z.array(z.array(z.string())),
  createdAt: z.string(),
  quality,
  result: z.object({ ranks: z.array(z.number().int()) }).nullable(),
});
const ticketSchema = z.object({
  ticketId: z.string(),
  queue: z.string(),
  status: z.enum(['searching', 'matched', 'cancelled', 'expired']),
  players: z.array(ticketPlayer),
  createdAt: z.string(),
  match: matchSchema.nullable(),
});
const queuesSchema = z.object({
  queues: z.array(z.object({ name: z.string(), searching: z.number().int(), oldestWaitSeconds: z.number(), matchesLastMinute: z.number().int() })),
});

export function matchmakingRoutes(app: FastifyInstance, realm: Realm): void {
  const mm = realm.matchmaking;

  defineRoute(app, {
    method: 'POST',
    url: '/v1/matchmaking/tickets',
    summary: 'Queue one player or a party (kept on one team) for a match',
    tag: 'matchmaking',
    access: 'game',
    body: z.object({ queue: name, players: z.array(ticketPlayer).min(1).max(64) }).strict(),
    errors: [400, 401, 404, 409, 429, 503],
    responses: { 201: ticketSchema },
    handler: async ({ body }, reply: FastifyReply) => reply.status(201).send(await mm.createTicket(body)),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/matchmaking/tickets/:ticketId',
    summary: 'A ticket and its match; with waitSeconds, answers once it stops searching or after that long',
    tag: 'matchmaking',
    access: 'game',
    params: z.object({ ticketId: id }),
    query: z.object({ waitSeconds: queryInt(0, 30, 0) }),
    errors: [400, 401, 404, 503],
    responses: { 200: ticketSchema },
    handler: async ({ params, query }) => mm.getTicket(params.ticketId, query.waitSeconds),
  });

  defineRoute(app, {
    method: 'DELETE',
    url: '/v1/matchmaking/tickets/:ticketId',
    summary: 'Cancel a searching ticket (409 once matched or expired)',
    tag: 'matchmaking',
    access: 'game',
    params: z.object({ ticketId: id }),
    errors: [400, 401, 404, 409, 503],
    responses: { 200: ticketSchema },
    handler: async ({ params }) => mm.cancelTicket(params.ticketId),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/matchmaking/matches/:matchId',
    summary: 'A match: teams, region, quality and result',
    tag: 'matchmaking',
    access: 'game',
    params: z.object({ matchId: id }),
    errors: [400, 401, 404, 503],
    responses: { 200: matchSchema },
    handler: async ({ params }) => mm.getMatch(params.matchId),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/v1/matchmaking/matches/:matchId/result',
    summary: "Record a match's result once (1 = best, equal ranks = draw) and update every player's rating",
    tag: 'matchmaking',
    access: 'game',
    params: z.object({ matchId: id }),
    body: z.object({ ranks: z.array(z.number().int().min(1).max(16)).min(2).max(16) }).strict(),
    errors: [400, 401, 404, 409, 503],
    responses: { 200: matchSchema },
    handler: async ({ params, body }) => mm.submitResult(params.matchId, body.ranks),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/matchmaking/queues',
    summary: 'Every queue of the game config with its searching tickets, oldest wait and recent matches',
    tag: 'matchmaking',
    access: 'game',
    errors: [401, 503],
    responses: { 200: queuesSchema },
    handler: async () => ({ queues: await mm.queues() }),
  });
}
