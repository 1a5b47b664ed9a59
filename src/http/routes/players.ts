// Players routes of API.md.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Realm } from '../../realm.js';
import { appendRequestSchema, MAX_BATCH_GET, NAME_PATTERN } from '../../players/index.js';
import { defineRoute, queryInt } from '../route-spec.js';

const playerId = z.string().regex(NAME_PATTERN, 'player id must be 1–64 characters of A-Z a-z 0-9 _ - . :');
const idParams = z.object({ id: playerId });

export function playerRoutes(app: FastifyInstance, realm: Realm): void {
  defineRoute(app, {
    method: 'POST',
    url: '/v1/players/:id/events',
    summary: 'Append 1–100 events to a player (all or nothing); creates the player with its first event',
    tag: 'players',
    access: 'game',
    params: idParams,
    player: ({ params }) => params.id,
    body: appendRequestSchema,
    errors: [400, 401, 403, 409, 413, 422, 429, 503],
    handler: async ({ params, body }) => {
      const { seq, state } = await realm.players.append(params.id, body.events, { expectedSeq: body.expectedSeq, durability: body.durability });
      return { seq, state };
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/players/:id',
    summary: 'Read a player; the x-realmstate-source header says which source served it',
    tag: 'players',
    access: 'game',
    params: idParams,
    player: ({ params }) => params.id,
    query: z.object({ consistency: z.enum(['eventual', 'strong']).optional() }),
    errors: [400, 401, 404, 503],
    handler: async ({ params, query }, reply) => {
      const read = await realm.queries.get(params.id, query.consistency);
      // Served as the JSON text the cache holds, without parsing it.
      void reply.header('x-realmstate-source', read.source).type('application/json; charset=utf-8');
      return read.json;
    },
  });

  defineRoute(app, {
    method: 'POST',
    url: '/v1/players::batchGet',
    openapiPath: '/v1/players:batchGet',
    summary: 'Read up to 1000 players at once, grouped by shard and read in parallel',
    tag: 'players',
    access: 'game',
    body: z.object({ ids: z.array(playerId).min(1).max(MAX_BATCH_GET) }).strict(),
    errors: [400, 401, 413, 503],
    handler: async ({ body }, reply) => {
      const { players, missing } = await realm.queries.getMany(body.ids);
      const seen = new Set<string>();
      const states: string[] = [];
      for (const id of body.ids) {
        const read = players.get(id);
        if (read && !seen.has(id)) states.push(read.json);
        seen.add(id);
      }
      void reply.type('application/json; charset=utf-8');
      return `{"players":[${states.join(',')}],"missing":${JSON.stringify(missing)}}`;
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/players/:id/events',
    summary: "A page of the player's event log",
    tag: 'players',
    access: 'game',
    params: idParams,
    player: ({ params }) => params.id,
    query: z.object({ after: queryInt(0, Number.MAX_SAFE_INTEGER, 0), limit: queryInt(1, 1000, 100) }),
    errors: [400, 401, 404, 503],
    handler: async ({ params, query }) => realm.queries.events(params.id, query.after, query.limit),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/players/:id/state-at',
    summary: 'The state after events 1..seq, rebuilt by replaying the log',
    tag: 'players',
    access: 'game',
    params: idParams,
    player: ({ params }) => params.id,
    query: z.object({ seq: queryInt(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) }),
    errors: [400, 401, 404, 503],
    handler: async ({ params, query }) => realm.queries.stateAt(params.id, query.seq),
  });
}
