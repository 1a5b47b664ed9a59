export {
  GameConfig, DEFAULT_GAME_CONFIG_OPTIONS,
  type GameConfigOptions, type GameConfigSnapshot, type GameConfigStatus, type GameConfigListener, type PlayerGameConfig, type LiveGameConfig,
} from './game-config.js';
export {
  gameConfigSchema, builtInGameConfig, DEFAULT_LIMITS, MAX_TOTAL_WEIGHT,
  type GameConfigData, type GameLimits, type RateLimits, type ScoreLimits, type Experiment, type ExperimentVariant, type VariantOverrides,
} from './game-config-schema.js';
export { parseGameConfig, GameConfigError, type ConfigProblem } from './parse-game-config.js';
export { assignVariant, experimentPoint } from './experiments.js';
export { configHash, canonicalJson } from './config-hash.js';
export type { DeepReadonly } from './deep-freeze.js';
