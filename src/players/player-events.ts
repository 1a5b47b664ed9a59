// The built-in event types of API.md, as zod schemas: the HTTP edge and the library validate with the same ones.
import { z } from 'zod';
import { NAME_PATTERN, type JsonValue } from './player-state.js';
import { MAX_DATA_VALUE_DEPTH, storableJsonProblem } from './storable-json.js';

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Largest `data.set` value, as UTF-8 JSON. */
export const MAX_DATA_VALUE_BYTES = 16 * 1024;
export const MAX_EVENTS_PER_APPEND = 100;

const name = z.string().regex(NAME_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 _ - . :');
// zod's int() already means a safe integer; the explicit bounds make the message say so.
const safeInt = z.number().int().min(-MAX_SAFE).max(MAX_SAFE);
const positiveQty = z.number().int().min(1).max(MAX_SAFE);
const statValue = z.number().int().min(0, 'must be ≥ 0 (stats are 0 to 2^53−1)').max(MAX_SAFE);

// Not z.json(): it recurses, so a deeply nested value overflowed the stack, and it let through strings (U+0000,
// unpaired surrogates) that PostgreSQL then refused inside a group commit shared with other players.
const DATA_VALUE_LIMITS = { maxDepth: MAX_DATA_VALUE_DEPTH, maxBytes: MAX_DATA_VALUE_BYTES };
// JSON Schema cannot state a size in bytes or a depth simply: the document says them in words and in x- fields.
const boundedJson = z
  .custom<JsonValue>((v) => storableJsonProblem(v, DATA_VALUE_LIMITS) === undefined, {
    error: (issue) => storableJsonProblem(issue.input, DATA_VALUE_LIMITS) ?? 'not a JSON value',
  })
  .meta({
    description: `Any JSON value of at most ${MAX_DATA_VALUE_BYTES} bytes as UTF-8 JSON, nested at most ${MAX_DATA_VALUE_DEPTH} deep; strings and keys without U+0000 or unpaired surrogates.`,
    'x-max-bytes': MAX_DATA_VALUE_BYTES,
    'x-max-depth': MAX_DATA_VALUE_DEPTH,
  });

export const playerEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('stat.add'), data: z.object({ stat: name, amount: safeInt }).strict() }).strict(),
  z.object({ type: z.literal('stat.set'), data: z.object({ stat: name, value: statValue }).strict() }).strict(),
  z.object({ type: z.literal('stat.max'), data: z.object({ stat: name, value: safeInt }).strict() }).strict(),
  z.object({ type: z.literal('item.grant'), data: z.object({ item: name, qty: positiveQty }).strict() }).strict(),
  z.object({ type: z.literal('item.consume'), data: z.object({ item: name, qty: positiveQty }).strict() }).strict(),
  z.object({ type: z.literal('data.set'), data: z.object({ key: name, value: boundedJson }).strict() }).strict(),
  z.object({ type: z.literal('data.unset'), data: z.object({ key: name }).strict() }).strict(),
]);

/** The built-in events a client may append (the public append route accepts these and no others). */
export type PlayerEvent = z.infer<typeof playerEventSchema>;
export type PlayerEventType = PlayerEvent['type'];
export const PLAYER_EVENT_TYPES: readonly PlayerEventType[] = ['stat.add', 'stat.set', 'stat.max', 'item.grant', 'item.consume', 'data.set', 'data.unset'];

// Matchmaking: a player's new rating in one queue after a match result. Only Realmstate appends it.
export const ratingUpdateEventSchema = z
  .object({
    type: z.literal('rating.update'),
    data: z.object({ queue: name, matchId: z.string().min(1).max(64), mu: z.number(), sigma: z.number().positive() }).strict(),
  })
  .strict();

// Internal events: built-in types that only Realmstate appends (never accepted by the public append route).
// Trades: `trade.hold` moves a giver's goods out of its state into the trade's escrow; `trade.settle` credits the
// other side's goods and closes the hold; `trade.release` gives held goods back; `trade.void` fences a trade that
// was rolled back before this player's hold arrived, so a late hold is refused.
const goodsMap = z.record(name, positiveQty);
export const tradeGoodsSchema = z.object({ items: goodsMap.optional(), stats: goodsMap.optional() }).strict();
export type TradeGoods = z.infer<typeof tradeGoodsSchema>;
const tradeId = name;
export const tradeEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('trade.hold'), data: z.object({ tradeId, with: name, gives: tradeGoodsSchema }).strict() }).strict(),
  z.object({ type: z.literal('trade.settle'), data: z.object({ tradeId, from: name, receives: tradeGoodsSchema }).strict() }).strict(),
  z.object({ type: z.literal('trade.release'), data: z.object({ tradeId, returns: tradeGoodsSchema }).strict() }).strict(),
  z.object({ type: z.literal('trade.void'), data: z.object({ tradeId }).strict() }).strict(),
]);
export type TradeEvent = z.infer<typeof tradeEventSchema>;
export const TRADE_EVENT_TYPES: readonly TradeEvent['type'][] = ['trade.hold', 'trade.settle', 'trade.release', 'trade.void'];

export type Durability = 'sync' | 'batched';

export const appendRequestSchema = z
  .object({
    events: z.array(playerEventSchema).min(1, 'at least one event').max(MAX_EVENTS_PER_APPEND, `at most ${MAX_EVENTS_PER_APPEND} events`),
    expectedSeq: z.number().int().min(0).max(MAX_SAFE).optional(),
    durability: z.enum(['sync', 'batched']).optional(),
  })
  .strict();

export type AppendRequest = z.infer<typeof appendRequestSchema>;

// Event types only Realmstate itself appends (anti-cheat: bans and per-player rollback; trades). The public append route
// validates with playerEventSchema alone, so a client can never send these.
const stateMap = <T extends z.ZodType>(value: T) => z.record(z.string().regex(NAME_PATTERN), value);
export const internalEventSchema = z.discriminatedUnion('type', [
  // Makes stats, items and data equal to the player's at `toSeq` (the log keeps everything after it).
  z.object({
    type: z.literal('state.restore'),
    data: z.object({ toSeq: z.number().int().min(1).max(MAX_SAFE), stats: stateMap(z.number().int().min(0).max(MAX_SAFE)), items: stateMap(positiveQty), data: stateMap(boundedJson), reason: z.string().max(500) }).strict(),
  }).strict(),
  z.object({ type: z.literal('player.banned'), data: z.object({ reason: z.string().max(500) }).strict() }).strict(),
  z.object({ type: z.literal('player.unbanned'), data: z.object({ reason: z.string().max(500) }).strict() }).strict(),
  ...tradeEventSchema.options,
  ratingUpdateEventSchema,
]);

export type InternalPlayerEvent = z.infer<typeof internalEventSchema>;
export type InternalEventType = InternalPlayerEvent['type'];
export const INTERNAL_EVENT_TYPES: readonly InternalEventType[] = ['state.restore', 'player.banned', 'player.unbanned', ...TRADE_EVENT_TYPES, 'rating.update'];
/** Any event the log may hold: the public types and Realmstate's own. */
export type AnyPlayerEvent = PlayerEvent | InternalPlayerEvent;

/** An event as stored in the log. */
export interface RecordedEvent {
  seq: number;
  type: PlayerEventType | InternalEventType;
  data: AnyPlayerEvent['data'];
  recordedAt: string;
}
