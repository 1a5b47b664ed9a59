// The public library API: re-exports only.
export { createRealm, Realm, type CreateRealmOptions } from './realm.js';
export { buildServer, DEFAULT_SERVER_OPTIONS, type ServerOptions } from './http/server.js';
export type { RateLimitOptions } from './http/rate-limit.js';
export type { TokenBucketsOptions } from './http/token-buckets.js';
export { loadSettings, DEFAULT_ENGINE_OPTIONS, ENV_VARS, SettingsError, type Settings, type EngineOptions } from './settings.js';
export * from './errors.js';
export * from './players/index.js';
export * from './leaderboards/index.js';
export { ShardRouter, SlotMap, slotOf, SLOT_COUNT } from './sharding/index.js';
export {
  GameConfig, GameConfigError, DEFAULT_GAME_CONFIG_OPTIONS, DEFAULT_LIMITS, assignVariant,
  type GameConfigOptions, type GameConfigSnapshot, type GameConfigStatus, type GameConfigListener, type PlayerGameConfig, type GameConfigData, type GameLimits,
} from './config/index.js';
export type { SqlCluster, SqlShard, SqlExecutor } from './backends/postgres/index.js';
