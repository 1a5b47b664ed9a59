// Shards routes of API.md ("Shards (admin)"): the slot map, rebalancing, draining a shard, cancelling a move.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Realm } from '../../realm.js';
import { UnavailableError } from '../../errors.js';
import type { ShardMover } from '../../resharding/index.js';
import { defineRoute } from '../route-spec.js';

// What the routes take and answer: the OpenAPI document and the typed client are made from these.
export const moveSchema = z.object({
  id: z.string(),
  kind: z.enum(['rebalance', 'drain']),
  state: z.enum(['running', 'done', 'failed', 'cancelled']),
  slotsDone: z.number().int(),
  slotsTotal: z.number().int(),
  rowsCopied: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
}).meta({ id: 'ShardMove' });
export const shardStatusSchema = z.object({
  epoch: z.number().int(),
  shards: z.array(z.object({ id: z.number().int(), index: z.number().int(), label: z.string(), slots: z.number().int(), state: z.enum(['up', 'down']) })),
  move: moveSchema.nullable(),
});
export const shardPlanSchema = z.object({ moves: z.array(z.object({ slot: z.number().int(), from: z.number().int(), to: z.number().int() })) });

export const moveResultSchema = z.object({ move: moveSchema });
/** 409 while a move runs, or when there is none to cancel: the error shape alone (no `currentSeq`). */
export const moveConflictSchema = z.object({ error: z.object({ code: z.literal('conflict'), message: z.string() }) });
export const rebalanceRequestSchema = z.object({ dryRun: z.boolean().optional() }).strict().optional();
/** The shard id as the document and the client name it; the route matches `<id>:drain` whole. */
export const drainParamsSchema = z.object({ id: z.string().regex(/^\d{1,5}$/, 'must be a shard id') });

export function shardRoutes(app: FastifyInstance, realm: Realm): void {
  const mover = (): ShardMover => {
    if (!realm.shardMap) throw new UnavailableError('this server has no slot map');
    return realm.shardMap.mover;
  };

  defineRoute(app, {
    method: 'GET',
    url: '/v1/admin/shards',
    operationId: 'getShards',
    summary: 'The slot map: each shard, the slots it owns, and the latest move',
    tag: 'shards',
    access: 'admin',
    errors: [401, 403, 503],
    responses: { 200: shardStatusSchema },
    handler: async () => mover().status(),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/v1/admin/shards::rebalance',
    openapiPath: '/v1/admin/shards:rebalance',
    operationId: 'rebalanceShards',
    summary: 'Move slots until every shard owns an even share (±1), moving as few as possible; dryRun returns the plan',
    tag: 'shards',
    access: 'admin',
    body: rebalanceRequestSchema,
    errors: [400, 401, 403, 409, 503],
    responses: { 200: shardPlanSchema, 202: moveResultSchema, 409: moveConflictSchema },
    handler: async ({ body }, reply) => {
      if (body?.dryRun) return { moves: await mover().plan('rebalance') };
      const { move } = await mover().start('rebalance');
      void reply.status(202);
      return { move };
    },
  });

  // find-my-way cannot put a literal after a parameter in one segment, so the segment is matched whole.
  defineRoute(app, {
    method: 'POST',
    url: '/v1/admin/shards/:id',
    openapiPath: '/v1/admin/shards/{id}:drain',
    openapiParams: drainParamsSchema,
    operationId: 'drainShard',
    summary: 'Move every slot off a shard, so that it can be removed from DATABASE_URLS',
    tag: 'shards',
    access: 'admin',
    params: z.object({
      id: z
        .string()
        .regex(/^\d{1,5}:drain$/, 'must be <shard id>:drain')
        .transform((s) => Number(s.slice(0, -':drain'.length))),
    }),
    errors: [400, 401, 403, 404, 409, 503],
    responses: { 202: moveResultSchema, 409: moveConflictSchema },
    handler: async ({ params }, reply) => {
      const { move } = await mover().start('drain', params.id);
      void reply.status(202);
      return { move };
    },
  });

  defineRoute(app, {
    method: 'POST',
    url: '/v1/admin/shards::cancel',
    openapiPath: '/v1/admin/shards:cancel',
    operationId: 'cancelShardMove',
    summary: 'Stop the running move once the slots in flight are finished or rolled back',
    tag: 'shards',
    access: 'admin',
    errors: [401, 403, 409, 503],
    responses: { 200: moveResultSchema, 409: moveConflictSchema },
    handler: async () => ({ move: await mover().cancel() }),
  });
}
