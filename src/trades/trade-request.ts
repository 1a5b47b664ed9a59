// The body of POST /v1/trades, its checks beyond the schema, and the canonical form whose hash makes a retry of
// the same trade recognisable (the same id with another body is a conflict).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';
import { NAME_PATTERN, tradeGoodsSchema, type TradeGoods } from '../players/index.js';

const id = z.string().regex(NAME_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 _ - . :');
/** Kinds of items plus stats one side may give. */
export const MAX_GOODS_PER_SIDE = 64;

const sideSchema = z.object({ playerId: id, gives: tradeGoodsSchema.optional() }).strict();

export const tradeRequestSchema = z
  .object({ tradeId: id, a: sideSchema, b: sideSchema })
  .strict()
  .superRefine((t, ctx) => {
    if (t.a.playerId === t.b.playerId) ctx.addIssue({ code: 'custom', path: ['b', 'playerId'], message: 'a player cannot trade with itself' });
    if (countGoods(t.a.gives) + countGoods(t.b.gives) === 0) ctx.addIssue({ code: 'custom', path: ['a', 'gives'], message: 'both sides give nothing' });
    for (const side of ['a', 'b'] as const) {
      if (countGoods(t[side].gives) > MAX_GOODS_PER_SIDE) ctx.addIssue({ code: 'custom', path: [side, 'gives'], message: `at most ${MAX_GOODS_PER_SIDE} items and stats per side` });
    }
  });

export type TradeRequest = z.infer<typeof tradeRequestSchema>;

export interface TradeSide {
  playerId: string;
  gives: TradeGoods;
}

/** A trade in canonical form: sides as given, goods with sorted keys and no empty maps. */
export interface TradeTerms {
  a: TradeSide;
  b: TradeSide;
}

function countGoods(g: TradeGoods | undefined): number {
  return Object.keys(g?.items ?? {}).length + Object.keys(g?.stats ?? {}).length;
}

function sorted(map: Record<string, number> | undefined): Record<string, number> | undefined {
  if (!map || Object.keys(map).length === 0) return undefined;
  const out: Record<string, number> = {};
  for (const k of Object.keys(map).sort()) out[k] = map[k] as number;
  return out;
}

export function canonicalGoods(g: TradeGoods | undefined): TradeGoods {
  const items = sorted(g?.items);
  const stats = sorted(g?.stats);
  return { ...(items ? { items } : {}), ...(stats ? { stats } : {}) };
}

export function termsOf(request: TradeRequest): TradeTerms {
  return {
    a: { playerId: request.a.playerId, gives: canonicalGoods(request.a.gives) },
    b: { playerId: request.b.playerId, gives: canonicalGoods(request.b.gives) },
  };
}

export function termsHash(terms: TradeTerms): string {
  return createHash('sha256').update(JSON.stringify(terms)).digest('hex');
}

/** For callers that skip the HTTP schema (the library): the same checks, as a 400. */
export function parseTradeRequest(body: unknown): TradeRequest {
  const parsed = tradeRequestSchema.safeParse(body);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; '));
  return parsed.data;
}
