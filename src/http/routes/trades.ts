// Trades and economy routes of API.md.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../errors.js';
import type { Realm } from '../../realm.js';
import { NAME_PATTERN, tradeGoodsSchema } from '../../players/index.js';
import { tradeRequestSchema } from '../../trades/index.js';

export { tradeRequestSchema };
import { defineRoute } from '../route-spec.js';

export const tradeParamsSchema = z.object({ tradeId: z.string().regex(NAME_PATTERN, 'trade id must be 1–64 characters of A-Z a-z 0-9 _ - . :') });
// What the routes answer: the OpenAPI document and the typed client are made from these.

const sideSeq = z.object({ playerId: z.string(), seq: z.number().int() });
export const tradeCommittedSchema = z.object({ tradeId: z.string(), status: z.literal('committed'), a: sideSeq, b: sideSeq });
const viewSide = z.object({ playerId: z.string(), gives: tradeGoodsSchema, seq: z.number().int().nullable() });
export const tradeViewSchema = z.object({
  tradeId: z.string(),
  status: z.enum(['pending', 'committed', 'rejected', 'rolled_back']),
  a: viewSide,
  b: viewSide,
  reason: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
const bookLine = z.object({ created: z.number().int(), destroyed: z.number().int(), held: z.number().int(), balanced: z.boolean() });
export const economySchema = z.object({ position: z.string(), items: z.record(z.string(), bookLine), stats: z.record(z.string(), bookLine) });

/** 409 of a trade id already used for another trade: the error shape alone (no `currentSeq`). */
export const tradeConflictSchema = z.object({ error: z.object({ code: z.literal('conflict'), message: z.string() }) });

export function tradeRoutes(app: FastifyInstance, realm: Realm): void {
  defineRoute(app, {
    method: 'POST',
    url: '/v1/trades',
    operationId: 'createTrade',
    summary: 'Trade items and stats between two players, all or nothing, exactly once per trade id',
    tag: 'trades',
    access: 'game',
    body: tradeRequestSchema,
    responses: { 200: tradeCommittedSchema, 409: tradeConflictSchema },
    errors: [400, 401, 404, 409, 413, 422, 429, 503],
    handler: async ({ body }) => realm.trades.trade(body),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/trades/:tradeId',
    summary: "A trade's state: pending, committed, rejected or rolled_back",
    tag: 'trades',
    access: 'game',
    operationId: 'getTrade',
    params: tradeParamsSchema,
    responses: { 200: tradeViewSchema },
    errors: [400, 401, 404, 503],
    handler: async ({ params }) => {
      const view = await realm.trades.get(params.tradeId);
      if (!view) throw new NotFoundError(`trade ${params.tradeId} not found`);
      return view;
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/admin/economy',
    operationId: 'getEconomy',
    summary: "The economy's books: created, destroyed and held per item and stat, and whether they balance",
    tag: 'trades',
    access: 'admin',
    responses: { 200: economySchema },
    errors: [401, 403, 503],
    handler: async () => realm.economy.report(),
  });
}
