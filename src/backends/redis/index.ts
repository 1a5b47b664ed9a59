export { createRedisClient, connectRedis, describeRedis, type RedisClientOptions } from './redis-client.js';
export { RedisSortedSets, memberOf, parseMember, type RedisSortedSetsOptions } from './redis-sorted-sets.js';
