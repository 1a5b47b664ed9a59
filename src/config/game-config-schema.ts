// The shape of the game config file (API.md "Game config") and the built-in config used when no file is set.
import { z } from 'zod';
import { configBoardSchema } from '../leaderboards/board-definition.js';
import { anticheatConfigSchema } from '../anticheat/rule-schema.js';
import { NAME_PATTERN } from '../players/player-state.js';
import { matchmakingConfigSchema } from '../matchmaking/queue-config.js';

const name = z.string().regex(NAME_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 _ - . :');
const jsonObject = z.record(z.string(), z.json());

/** Request rates that rate limiting reads. Token buckets: each holds `rate + burst` tokens and refills at `rate` per second. */
export interface RateLimits {
  /** Steady requests per second allowed to one API key. Default 1000. */
  perKeyPerSecond: number;
  /** Steady requests per second that concern one player (events, score submissions). Default 20. */
  perPlayerPerSecond: number;
  /** Requests a caller may send at once above its steady rate. Default 50. */
  burst: number;
}

/** Bounds that anti-cheat reads when it checks score submissions. */
export interface ScoreLimits {
  /** Largest score one submission may carry (an `incr` amount or a `best`/`set` value); absent: no bound beyond the API's ±(2^53−1). */
  maxPerSubmission?: number;
}

/** The limits other services read from the game config. Defaults in DEFAULT_LIMITS. */
export interface GameLimits {
  rateLimits: RateLimits;
  scores: ScoreLimits;
}

export const DEFAULT_LIMITS: Readonly<GameLimits> = Object.freeze({
  rateLimits: Object.freeze({ perKeyPerSecond: 50_000, perPlayerPerSecond: 20, burst: 50 }),
  scores: Object.freeze({}),
});

/** Weights are relative; their sum is capped so the variant mapping stays exact in float64 (see experiments.ts). */
export const MAX_TOTAL_WEIGHT = 1_000_000;

const positiveRate = z.number().int().min(1).max(1_000_000_000);

const rateLimitsSchema = z
  .object({
    perKeyPerSecond: positiveRate.default(DEFAULT_LIMITS.rateLimits.perKeyPerSecond),
    perPlayerPerSecond: positiveRate.default(DEFAULT_LIMITS.rateLimits.perPlayerPerSecond),
    burst: z.number().int().min(0).max(1_000_000_000).default(DEFAULT_LIMITS.rateLimits.burst),
  })
  .strict();

const scoreLimitsSchema = z
  .object({
    maxPerSubmission: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

// prefault (not default) so that a partial object, or none, is filled field by field from the defaults above.
export const limitsSchema = z
  .object({
    rateLimits: rateLimitsSchema.prefault({}),
    scores: scoreLimitsSchema.prefault({}),
  })
  .strict();

/** What an experiment variant may override. Version, boards and experiments are the same for every player. */
const overridesSchema = z
  .object({
    tuning: jsonObject.optional(),
    limits: jsonObject.optional(),
  })
  .strict();

const variantSchema = z
  .object({
    name,
    weight: z.number().int().min(0).max(MAX_TOTAL_WEIGHT),
    overrides: overridesSchema.optional(),
  })
  .strict();

const experimentSchema = z
  .object({
    name,
    variants: z.array(variantSchema).min(1).max(100),
  })
  .strict()
  .superRefine((exp, ctx) => {
    uniqueBy(exp.variants, (v) => v.name, ['variants'], 'name', 'variant', ctx);
    const total = exp.variants.reduce((sum, v) => sum + v.weight, 0);
    if (total === 0) ctx.addIssue({ code: 'custom', path: ['variants'], message: 'the weights must not all be 0' });
    if (total > MAX_TOTAL_WEIGHT) ctx.addIssue({ code: 'custom', path: ['variants'], message: `the weights add up to ${total}, more than ${MAX_TOTAL_WEIGHT}` });
  });

/** The economy's switches. `trades: disabled` refuses new trades (503) while trades in flight still finish. Default enabled. */
const economySchema = z.object({ trades: z.enum(['enabled', 'disabled']).default('enabled') }).strict();

export const gameConfigSchema = z
  .object({
    version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    leaderboards: z
      .array(configBoardSchema)
      .max(1000)
      .superRefine((boards, ctx) => uniqueBy(boards, (b) => b.id, [], 'id', 'board', ctx))
      .default([]),
    tuning: jsonObject.default({}),
    experiments: z
      .array(experimentSchema)
      .max(100)
      .superRefine((experiments, ctx) => uniqueBy(experiments, (e) => e.name, [], 'name', 'experiment', ctx))
      .default([]),
    limits: limitsSchema.prefault({}),
    /** Anti-cheat rules (src/anticheat), hot reloaded like the rest. */
    anticheat: anticheatConfigSchema.prefault({}),
    economy: economySchema.prefault({}),
    // Matchmaking queues (API.md "Matchmaking"); absent: none (and the config hash of files without it is unchanged).
    matchmaking: matchmakingConfigSchema.optional(),
  })
  .strict();

/** A validated game config, with every default filled in. */
export type GameConfigData = z.output<typeof gameConfigSchema>;
export type Experiment = GameConfigData['experiments'][number];
export type ExperimentVariant = Experiment['variants'][number];
export type VariantOverrides = NonNullable<ExperimentVariant['overrides']>;

/** The parts of a config a variant's overrides merge into; checked again after the merge. */
export const overridableSchema = z.object({ tuning: jsonObject, limits: limitsSchema }).strict();

/** The config in force when REALMSTATE_CONFIG is not set. */
export function builtInGameConfig(): GameConfigData {
  return gameConfigSchema.parse({ version: 0 });
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string, at: Array<string | number>, field: string, what: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [...at, i, field], message: `duplicate ${what} ${field} "${k}"` });
    seen.add(k);
  });
}

// Keeps the documented interface and the schema in step: this fails to compile when they drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const limitsMatchSchema: Same<GameLimits, z.output<typeof limitsSchema>> = true;
void limitsMatchSchema;
