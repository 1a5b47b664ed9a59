// Leaderboards routes of API.md, plus the admin rebuild route (an addition).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MAX_SCORE } from '../../backends/sorted-set-port.js';
import { BOARD_OPERATORS, BOARD_ORDERS, BOARD_RESETS, boardDefinitionSchema } from '../../leaderboards/index.js';
import { NAME_PATTERN } from '../../players/index.js';
import type { Realm } from '../../realm.js';
import { defineRoute, queryInt } from '../route-spec.js';

const NAME_MESSAGE = 'must be 1–64 characters of A-Z a-z 0-9 _ - . :';
const name = z.string().regex(NAME_PATTERN, NAME_MESSAGE);
const boardParams = z.object({ board: name });
const boardPlayerParams = z.object({ board: name, id: name });
const season = z.string().max(16).optional();
const region = name.optional();
const score = z.number().int().min(-MAX_SCORE).max(MAX_SCORE);

// What the routes answer: the OpenAPI document and the typed client are made from these.
export const boardInfoSchema = z
  .object({
    board: name,
    order: z.enum(BOARD_ORDERS),
    operator: z.enum(BOARD_OPERATORS),
    reset: z.enum(BOARD_RESETS),
    regions: z.array(name).nullable(),
    stat: name.nullable(),
    season: z.string().describe('the current season'),
  })
  .meta({ id: 'BoardInfo' });
export const rankedScoreSchema = z.object({ playerId: name, score, rank: z.number().int().min(1) }).meta({ id: 'RankedScore' });
/** Regions whose store is down, left out of the answer (absent when complete). */
const partial = z.array(name).optional().describe('regions whose store is down, left out of this answer; absent when complete');
/** A player's own score: with a region down, the rank among the regions that are up, and which are not. */
export const playerScoreSchema = rankedScoreSchema.extend({ partial }).meta({ id: 'PlayerScore' });
/** The reply to a submission: with a region down, the global rank is unknown (null) and the regional rank is given. */
export const submittedScoreSchema = z
  .object({
    playerId: name,
    score,
    rank: z.number().int().min(1).nullable().describe('the global rank; null when a region is down'),
    regionRank: z.number().int().min(1).optional().describe("the rank in the submission's region; present when `partial` is"),
    partial,
  })
  .meta({ id: 'SubmittedScore' });
export const boardPageSchema = z.object({ board: name, season: z.string(), entries: z.array(rankedScoreSchema), partial }).meta({ id: 'BoardPage' });
export const boardListSchema = z.object({ leaderboards: z.array(boardInfoSchema) });
export const rebuildReportSchema = z.object({
  board: name,
  season: z.string(),
  sets: z.array(z.object({ region: name.nullable(), entries: z.number().int().min(0) })),
});

export const submitScoreSchema = z
  .object({
    playerId: name,
    score: z.number().int('score must be an integer').min(-MAX_SCORE, 'score must be ≥ −(2^53−1)').max(MAX_SCORE, 'score must be ≤ 2^53−1'),
    region,
  })
  .strict();
export const topQuerySchema = z.object({ limit: queryInt(1, 1000, 10), region, season });
export const playerScoreQuerySchema = z.object({ region, season });
export const aroundQuerySchema = z.object({ limit: queryInt(0, 1000, 5), region, season });
export const rebuildQuerySchema = z.object({ season });

export function leaderboardRoutes(app: FastifyInstance, realm: Realm): void {
  const boards = realm.leaderboards;

  defineRoute(app, {
    method: 'PUT',
    url: '/v1/leaderboards/:board',
    operationId: 'defineLeaderboard',
    summary: 'Create or replace a leaderboard (durable; its scores are kept)',
    tag: 'leaderboards',
    access: 'admin',
    params: boardParams,
    body: boardDefinitionSchema,
    responses: { 200: boardInfoSchema },
    errors: [400, 401, 403, 503],
    handler: async ({ params, body }) => boards.define(params.board, body),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/leaderboards',
    operationId: 'listLeaderboards',
    summary: 'Every leaderboard (from the game config and from PUT) with its current season',
    tag: 'leaderboards',
    access: 'game',
    responses: { 200: boardListSchema },
    errors: [401],
    handler: async () => ({ leaderboards: boards.list() }),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/v1/leaderboards/:board/scores',
    operationId: 'submitScore',
    summary: "Submit a score; the board's operator decides the stored score; replies with it and the global rank",
    tag: 'leaderboards',
    access: 'game',
    params: boardParams,
    body: submitScoreSchema,
    responses: { 200: submittedScoreSchema },
    player: ({ body }) => body.playerId,
    errors: [400, 401, 403, 404, 422, 429, 503],
    handler: async ({ params, body }) => boards.submit(params.board, body),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/leaderboards/:board/top',
    operationId: 'getTop',
    summary: 'The best entries: global (merged from every region) or of one region',
    tag: 'leaderboards',
    access: 'game',
    params: boardParams,
    query: topQuerySchema,
    responses: { 200: boardPageSchema },
    errors: [400, 401, 404, 503],
    handler: async ({ params, query }) => boards.top(params.board, query),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/leaderboards/:board/players/:id',
    operationId: 'getPlayerScore',
    summary: "A player's score and rank (global unless a region is given)",
    tag: 'leaderboards',
    access: 'game',
    params: boardPlayerParams,
    query: playerScoreQuerySchema,
    responses: { 200: playerScoreSchema },
    errors: [400, 401, 404, 503],
    handler: async ({ params, query }) => boards.player(params.board, params.id, query),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/leaderboards/:board/around/:id',
    operationId: 'getAround',
    summary: 'Entries from `limit` above to `limit` below the player',
    tag: 'leaderboards',
    access: 'game',
    params: boardPlayerParams,
    query: aroundQuerySchema,
    responses: { 200: boardPageSchema },
    errors: [400, 401, 404, 503],
    handler: async ({ params, query }) => boards.around(params.board, params.id, query),
  });

  // find-my-way cannot put a literal after a parameter in one segment, so the segment is matched whole.
  defineRoute(app, {
    method: 'POST',
    url: '/v1/leaderboards/:board',
    openapiPath: '/v1/leaderboards/{board}:rebuild',
    openapiParams: boardParams,
    operationId: 'rebuildLeaderboard',
    summary: "Rebuild a board's season from PostgreSQL (what the sorted-set store has is replaced)",
    tag: 'leaderboards',
    access: 'admin',
    params: z.object({
      board: z
        .string()
        .regex(/^[A-Za-z0-9_\-.:]{1,64}:rebuild$/, `must be <board>:rebuild, the board ${NAME_MESSAGE}`)
        .transform((s) => s.slice(0, -':rebuild'.length)),
    }),
    query: rebuildQuerySchema,
    responses: { 200: rebuildReportSchema },
    errors: [400, 401, 403, 404, 503],
    handler: async ({ params, query }) => boards.rebuild(params.board, query),
  });
}
