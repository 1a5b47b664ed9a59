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

// Not z.json(): it recurses, so a deeply nested value overflowed the stack, and it let through strings (U+0000,
// unpaired surrogates) that PostgreSQL then refused inside a group commit shared with other players.
const DATA_VALUE_LIMITS = { maxDepth: MAX_DATA_VALUE_DEPTH, maxBytes: MAX_DATA_VALUE_BYTES };
const boundedJson = z.custom<JsonValue>((v) => storableJsonProblem(v, DATA_VALUE_LIMITS) === undefined, {
  error: (issue) => storableJsonProblem(issue.input, DATA_VALUE_LIMITS) ?? 'not a JSON value',
});

export const playerEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('stat.add'), data: z.object({ stat: name, amount: safeInt }).strict() }).strict(),
  z.object({ type: z.literal('stat.set'), data: z.object({ stat: name, value: safeInt }).strict() }).strict(),
  z.object({ type: z.literal('stat.max'), data: z.object({ stat: name, value: safeInt }).strict() }).strict(),
  z.object({ type: z.literal('item.grant'), data: z.object({ item: name, qty: positiveQty }).strict() }).strict(),
  z.object({ type: z.literal('item.consume'), data: z.object({ item: name, qty: positiveQty }).strict() }).strict(),
  z.object({ type: z.literal('data.set'), data: z.object({ key: name, value: boundedJson }).strict() }).strict(),
  z.object({ type: z.literal('data.unset'), data: z.object({ key: name }).strict() }).strict(),
]);

/** The built-in events a client may append (the public append route accepts these and no others). */
export type PublicPlayerEvent = z.infer<typeof playerEventSchema>;
export const PLAYER_EVENT_TYPES: readonly PublicPlayerEvent['type'][] = ['stat.add', 'stat.set', 'stat.max', 'item.grant', 'item.consume', 'data.set', 'data.unset'];

// Matchmaking: a player's new rating in one queue after a match result. Only Realmstate appends it.
export const ratingUpdateEventSchema = z
  .object({
    type: z.literal('rating.update'),
    data: z.object({ queue: name, matchId: z.string().min(1).max(64), mu: z.number(), sigma: z.number().positive() }).strict(),
  })
  .strict();

/** Built-in events only Realmstate itself appends; never accepted by the public append route. */
export const internalPlayerEventSchema = z.discriminatedUnion('type', [
  ratingUpdateEventSchema,
]);
export type InternalPlayerEvent = z.infer<typeof internalPlayerEventSchema>;

/** Every built-in event the log may hold. */
export type PlayerEvent = PublicPlayerEvent | InternalPlayerEvent;
export type PlayerEventType = PlayerEvent['type'];

export type Durability = 'sync' | 'batched';

export const appendRequestSchema = z
  .object({
    events: z.array(playerEventSchema).min(1, 'at least one event').max(MAX_EVENTS_PER_APPEND, `at most ${MAX_EVENTS_PER_APPEND} events`),
    expectedSeq: z.number().int().min(0).max(MAX_SAFE).optional(),
    durability: z.enum(['sync', 'batched']).optional(),
  })
  .strict();

export type AppendRequest = z.infer<typeof appendRequestSchema>;

/** An event as stored in the log. */
export interface RecordedEvent {
  seq: number;
  type: PlayerEventType;
  data: PlayerEvent['data'];
  recordedAt: string;
}
