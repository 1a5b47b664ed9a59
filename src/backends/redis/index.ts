export { DEFAULT_MAX_BATCH, createRedisClient, createRedisCluster, createRedis, connectRedis, describeRedis, isCluster, parseClusterNode, type RedisClient, type RedisClientOptions, type RedisTarget } from './redis-client.js';
export { RedisSortedSets, memberOf, parseMember, DEFAULT_REDIS_SORTED_SETS_OPTIONS, type RedisSortedSetsOptions } from './redis-sorted-sets.js';
