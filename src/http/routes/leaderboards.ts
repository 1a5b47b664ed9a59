// Leaderboards routes of API.md, plus the admin rebuild route (an addition).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MAX_SCORE } from '../../backends/sorted-set-port.js';
import { boardDefinitionSchema } from '../../leaderboards/index.js';
import { NAME_PATTERN } from '../../players/index.js';
import type { Realm } from '../../realm.js';
import { defineRoute, queryInt } from '../route-spec.js';

const NAME_MESSAGE = 'must be 1–64 characters of A-Z a-z 0-9 _ - . :';
const name = z.string().regex(NAME_PATTERN, NAME_MESSAGE);
const boardParams = z.object({ board: name });
const boardPlayerParams = z.object({ board: name, id: name });
const season = z.string().max(16).optional();
const region = name.optional();

export function leaderboardRoutes(app: FastifyInstance, realm: Realm): void {
  const boards = realm.leaderboards;

  defineRoute(app, {
    method: 'PUT',
    url: '/v1/leaderboards/:board',
    summary: 'Create or replace a leaderboard (durable; its scores are kept)',
    tag: 'leaderboards',
    access: 'admin',
    params: boardParams,
    body: boardDefinitionSchema,
    errors: [400, 401, 403, 503],
    handler: async ({ params, body }) => boards.define(params.board, body),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/leaderboards',
    summary: 'Every leaderboard (from the game config and from PUT) with its current season',
    tag: 'leaderboards',
    access: 'game',
    errors: [401],
    handler: async () => ({ leaderboards: boards.list() }),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/v1/leaderboards/:board/scores',
    summary: "Submit a score; the board's operator decides the stored score; replies with it and the global rank",
    tag: 'leaderboards',
    access: 'game',
    params: boardParams,
    body: z
      .object({
        playerId: name,
        score: z.number().int('score must be an integer').min(-MAX_SCORE, 'score must be ≥ −(2^53−1)').max(MAX_SCORE, 'score must be ≤ 2^53−1'),
        region,
      })
      .strict(),
    player: ({ body }) => body.playerId,
    errors: [400, 401, 403, 404, 422, 429, 503],
    handler: async ({ params, body }) => boards.submit(params.board, body),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/leaderboards/:board/top',
    summary: 'The best entries: global (merged from every region) or of one region',
    tag: 'leaderboards',
    access: 'game',
    params: boardParams,
    query: z.object({ limit: queryInt(1, 1000, 10), region, season }),
    errors: [400, 401, 404, 503],
    handler: async ({ params, query }) => boards.top(params.board, query),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/leaderboards/:board/players/:id',
    summary: "A player's score and rank (global unless a region is given)",
    tag: 'leaderboards',
    access: 'game',
    params: boardPlayerParams,
    query: z.object({ region, season }),
    errors: [400, 401, 404, 503],
    handler: async ({ params, query }) => boards.player(params.board, params.id, query),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/leaderboards/:board/around/:id',
    summary: 'Entries from `limit` above to `limit` below the player',
    tag: 'leaderboards',
    access: 'game',
    params: boardPlayerParams,
    query: z.object({ limit: queryInt(0, 1000, 5), region, season }),
    errors: [400, 401, 404, 503],
    handler: async ({ params, query }) => boards.around(params.board, params.id, query),
  });

  // find-my-way cannot put a literal after a parameter in one segment, so the segment is matched whole.
  defineRoute(app, {
    method: 'POST',
    url: '/v1/leaderboards/:board',
    openapiPath: '/v1/leaderboards/{board}:rebuild',
    summary: "Rebuild a board's season from PostgreSQL (what the sorted-set store has is replaced)",
    tag: 'leaderboards',
    access: 'admin',
    params: z.object({
      board: z
        .string()
        .regex(/^[A-Za-z0-9_\-.:]{1,64}:rebuild$/, `must be <board>:rebuild, the board ${NAME_MESSAGE}`)
        .transform((s) => s.slice(0, -':rebuild'.length)),
    }),
    query: z.object({ season }),
    errors: [400, 401, 403, 404, 503],
    handler: async ({ params, query }) => boards.rebuild(params.board, query),
  });
}
