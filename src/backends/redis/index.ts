export { createRedisClient, connectRedis, describeRedis, type RedisClientOptions } from './redis-client.js';
export { RedisSortedSets, memberOf, parseMember, DEFAULT_REDIS_SORTED_SETS_OPTIONS, type RedisSortedSetsOptions } from './redis-sorted-sets.js';
