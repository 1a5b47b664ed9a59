// Players routes of API.md.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Realm } from '../../realm.js';
import type { BatchRead, BatchReader } from '../../fleet/index.js';
import { appendRequestSchema, internalEventSchema, MAX_BATCH_GET, NAME_PATTERN, playerEventSchema, STATE_LIMITS } from '../../players/index.js';
import { defineRoute, queryInt } from '../route-spec.js';

const playerId = z.string().regex(NAME_PATTERN, 'player id must be 1–64 characters of A-Z a-z 0-9 _ - . :');
const idParams = z.object({ id: playerId });
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

// What the routes answer: the OpenAPI document and the typed client are made from these.
const seq = z.number().int().min(1).max(MAX_SAFE);
const timestamp = z.iso.datetime().describe('UTC, ISO 8601');

export const playerStateSchema = z
  .object({
    playerId,
    seq: seq.describe('seq of the last event applied'),
    stats: z.record(z.string(), z.number().int().min(0).max(MAX_SAFE)).describe(`at most ${STATE_LIMITS.stats} stats`),
    items: z.record(z.string(), z.number().int().min(1).max(MAX_SAFE)).describe(`at most ${STATE_LIMITS.items} items; an item at 0 disappears`),
    data: z.record(z.string(), z.json()),
    trades: z
      .record(z.string(), z.enum(['held', 'void']))
      .optional()
      .describe("trades the player is in: held while its goods are in a trade's escrow, void for a trade rolled back before its hold; absent when none"),
    ratings: z
      .record(z.string(), z.object({ mu: z.number(), sigma: z.number(), matches: z.number().int().min(0), lastMatchId: z.string() }))
      .optional()
      .describe('matchmaking ratings by queue; absent until the first rated match'),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'PlayerState' });

// Each event schema with the log's fields added; the mapped type keeps the union's members distinct for z.output.
const recorded = { seq, recordedAt: timestamp };
type Recorded<T> = { [K in keyof T]: T[K] extends z.ZodObject<infer S, infer C> ? z.ZodObject<S & typeof recorded, C> : never };
// The log holds the public types and those only Realmstate appends (trades, bans, rollbacks, ratings).
const logged = [...playerEventSchema.options, ...internalEventSchema.options] as [...typeof playerEventSchema.options, ...typeof internalEventSchema.options];
export const recordedEventSchema = z
  .discriminatedUnion('type', logged.map((o) => o.extend(recorded)) as unknown as Recorded<typeof logged>)
  .meta({ id: 'RecordedEvent' });

export const playerQuerySchema = z.object({ consistency: z.enum(['eventual', 'strong']).optional() });
export const eventsQuerySchema = z.object({ after: queryInt(0, MAX_SAFE, 0), limit: queryInt(1, 1000, 100) });
export const stateAtQuerySchema = z.object({ seq: queryInt(-MAX_SAFE, MAX_SAFE) });
export const batchGetRequestSchema = z.object({ ids: z.array(playerId).min(1).max(MAX_BATCH_GET) }).strict();

export const appendResultSchema = z.object({ seq, state: playerStateSchema });
export const batchGetResultSchema = z.object({ players: z.array(playerStateSchema), missing: z.array(playerId) });
export const eventsPageSchema = z.object({
  events: z.array(recordedEventSchema),
  nextAfter: seq.nullable().describe('the last returned seq when more events follow, else null'),
});
export const readSourceHeader = z.enum(['memory', 'cache', 'replica', 'primary']).describe('which source served the read');

export function playerRoutes(app: FastifyInstance, realm: Realm, batchReader?: BatchReader): void {
  defineRoute(app, {
    method: 'POST',
    url: '/v1/players/:id/events',
    operationId: 'appendEvents',
    summary: 'Append 1–100 events to a player (all or nothing); creates the player with its first event',
    tag: 'players',
    access: 'game',
    params: idParams,
    player: ({ params }) => params.id,
    body: appendRequestSchema,
    responses: { 200: appendResultSchema },
    errors: [400, 401, 403, 409, 413, 422, 429, 503],
    handler: async ({ params, body }) => {
      const { seq, state } = await realm.players.append(params.id, body.events, { expectedSeq: body.expectedSeq, durability: body.durability });
      return { seq, state };
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/players/:id',
    operationId: 'getPlayer',
    summary: 'Read a player; the x-realmstate-source header says which source served it',
    tag: 'players',
    access: 'game',
    params: idParams,
    player: ({ params }) => params.id,
    query: playerQuerySchema,
    responses: { 200: playerStateSchema },
    headers: { 'x-realmstate-source': readSourceHeader },
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
    operationId: 'batchGetPlayers',
    summary: 'Read up to 1000 players at once, grouped by shard and read in parallel',
    tag: 'players',
    access: 'game',
    body: batchGetRequestSchema,
    responses: { 200: batchGetResultSchema },
    errors: [400, 401, 413, 503],
    handler: async ({ body, raw }, reply) => {
      const here = async (ids: string[]): Promise<BatchRead> => {
        const read = await realm.queries.getMany(ids);
        return { players: new Map([...read.players].map(([id, r]) => [id, r.json])), missing: read.missing };
      };
      // In a fleet, each player from its owner (see fleet/http.ts).
      const { players, missing } = batchReader ? await batchReader(raw, body.ids, here) : await here(body.ids);
      const seen = new Set<string>();
      const states: string[] = [];
      for (const id of body.ids) {
        const json = players.get(id);
        if (json !== undefined && !seen.has(id)) states.push(json);
        seen.add(id);
      }
      void reply.type('application/json; charset=utf-8');
      return `{"players":[${states.join(',')}],"missing":${JSON.stringify(missing)}}`;
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/players/:id/events',
    operationId: 'listEvents',
    summary: "A page of the player's event log",
    tag: 'players',
    access: 'game',
    params: idParams,
    player: ({ params }) => params.id,
    query: eventsQuerySchema,
    responses: { 200: eventsPageSchema },
    errors: [400, 401, 404, 503],
    handler: async ({ params, query }) => realm.queries.events(params.id, query.after, query.limit),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/players/:id/state-at',
    operationId: 'getStateAt',
    summary: 'The state after events 1..seq, rebuilt by replaying the log',
    tag: 'players',
    access: 'game',
    params: idParams,
    player: ({ params }) => params.id,
    query: stateAtQuerySchema,
    responses: { 200: playerStateSchema },
    errors: [400, 401, 404, 503],
    handler: async ({ params, query }) => realm.queries.stateAt(params.id, query.seq),
  });
}
