// The `anticheat` block of the game config (API.md "Anti-cheat"): rules checked on every append and score submission.
import { z } from 'zod';
import { PLAYER_EVENT_TYPES } from '../players/player-events.js';
import { NAME_PATTERN } from '../players/player-state.js';

const name = z.string().regex(NAME_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 _ - . :');
const positive = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const score = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
/** Longest window of a rate rule: one day. */
export const MAX_WINDOW_SECONDS = 86_400;
const perSeconds = z.number().int().min(1).max(MAX_WINDOW_SECONDS);
// Appends carry no score to hold back, so quarantine is only for board rules.
const writeAction = z.enum(['reject', 'flag'], { error: 'must be reject or flag (quarantine is for score rules)' });
const scoreAction = z.enum(['reject', 'flag', 'quarantine']);

export const ruleSchema = z.discriminatedUnion('kind', [
  z.object({ name, kind: z.literal('statRate'), stat: name, maxIncrease: positive, perSeconds, action: writeAction }).strict(),
  z.object({ name, kind: z.literal('eventRate'), type: z.enum(PLAYER_EVENT_TYPES as [string, ...string[]]), max: positive, perSeconds, action: writeAction }).strict(),
  z.object({ name, kind: z.literal('scoreMax'), board: name, max: score, action: scoreAction }).strict(),
  z.object({ name, kind: z.literal('scoreMin'), board: name, min: score, action: scoreAction }).strict(),
  z.object({ name, kind: z.literal('scoreJump'), board: name, factor: z.number().min(1).max(1e9), action: scoreAction }).strict(),
  z.object({ name, kind: z.literal('scoreOutlier'), board: name, zScore: z.number().min(0.5).max(1000), minSamples: z.number().int().min(2).max(1_000_000_000), action: scoreAction }).strict(),
]);

export const anticheatConfigSchema = z
  .object({
    rules: z
      .array(ruleSchema)
      .max(1000)
      .superRefine((rules, ctx) => {
        const seen = new Set<string>();
        rules.forEach((r, i) => {
          if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate rule name "${r.name}"` });
          seen.add(r.name);
        });
      })
      .default([]),
  })
  .strict();

export type Rule = z.output<typeof ruleSchema>;
export type RuleKind = Rule['kind'];
export type RuleAction = Rule['action'];
export type AnticheatConfig = z.output<typeof anticheatConfigSchema>;
