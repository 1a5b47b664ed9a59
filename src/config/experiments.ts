// A/B experiments: which variant a player is in, and the config that player sees.
//
// The assignment is a pure function of (experiment name, player id), so every instance, every restart and every
// client that reimplements it agrees without storing anything:
//   h      = SHA-256 of the UTF-8 bytes of `${experiment}\u0000${playerId}`
//   x      = the first 4 bytes of h as a big-endian unsigned integer (0 … 2^32−1)
//   point  = floor(x × totalWeight / 2^32)                  (exact in float64: totalWeight ≤ 1,000,000)
//   variant = the first variant, in declaration order, whose cumulative weight exceeds `point`.
// SHA-256 rather than the FNV-1a of the slot hash: a player's variants in two experiments must be independent,
// and FNV-1a over a shared suffix is not. Scaling (rather than modulo) means that moving weight from one variant
// to its neighbour only moves the players in the slice that changed hands.
import { createHash } from 'node:crypto';
import type { DeepReadonly } from './deep-freeze.js';
import { deepMerge, type JsonObject } from './deep-merge.js';
import type { Experiment } from './game-config-schema.js';

type ExperimentLike = DeepReadonly<Pick<Experiment, 'name' | 'variants'>>;

const TWO_POW_32 = 2 ** 32;

/** The point of a player on [0, totalWeight) for one experiment. */
export function experimentPoint(experiment: string, playerId: string, totalWeight: number): number {
  const h = createHash('sha256').update(`${experiment}\u0000${playerId}`, 'utf8').digest();
  return Math.floor((h.readUInt32BE(0) * totalWeight) / TWO_POW_32);
}

/** The name of the variant of `experiment` that `playerId` is in. */
export function assignVariant(experiment: ExperimentLike, playerId: string): string {
  return assignVariantIndex(experiment, playerId).name;
}

function assignVariantIndex(experiment: ExperimentLike, playerId: string): { index: number; name: string } {
  const total = experiment.variants.reduce((sum, v) => sum + v.weight, 0);
  const point = experimentPoint(experiment.name, playerId, total);
  let cumulative = 0;
  for (const [index, variant] of experiment.variants.entries()) {
    cumulative += variant.weight;
    if (point < cumulative) return { index, name: variant.name };
  }
  // Unreachable for a validated experiment (total > 0 and point < total).
  throw new Error(`experiment ${experiment.name} has no weight`);
}

/** Every experiment's variant for the player, in declaration order. */
export function assignVariants<E extends ExperimentLike>(config: { readonly experiments: readonly E[] }, playerId: string): Array<{ experiment: E; index: number; name: string }> {
  return config.experiments.map((experiment) => ({ experiment, ...assignVariantIndex(experiment, playerId) }));
}

/** The config with the overrides of the given variants merged in, in the experiments' declaration order. */
export function applyVariants<T extends JsonObject>(config: T, variants: ReadonlyArray<{ experiment: ExperimentLike; index: number }>): T {
  let merged = config;
  for (const { experiment, index } of variants) {
    const overrides = experiment.variants[index]?.overrides;
    if (overrides) merged = deepMerge(merged, overrides);
  }
  return merged;
}
