export { Matchmaker, OpenTicketError, DEFAULT_MATCHMAKER_OPTIONS, MATCHED_EVENT_TYPE, type MatchmakerOptions, type NewTicket, type QueueSummary, type QueueDetail } from './matchmaker.js';
export { matchmakingConfigSchema, queueConfigSchema, queueRules, stepValue, type MatchmakingConfig, type QueueConfig, type QueueRules } from './queue-config.js';
export { findMatches, balanceTeams, packParties, matchQuality, ruleViolations, type MatcherOptions } from './matcher.js';
export { rateMatch, drawProbability, RATING_TAU } from './ratings.js';
export { MemoryTicketPool } from './memory-ticket-pool.js';
export { RedisTicketPool, type RedisTicketPoolOptions } from './redis-ticket-pool.js';
export type { TicketPool, QueueStats } from './ticket-pool.js';
export * from './ticket.js';
