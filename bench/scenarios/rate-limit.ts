// Fleet-wide rate limits: checks per second of one hot key (a game server's key at the default 50,000/s, so nearly
// every check is allowed) through the two ways of sharing a bucket in Redis, against the per-process bucket that
// needs no Redis at all: one take from Redis per check (the takes of one turn go out as one script call), and a local share (an instance takes 10 ms of the rate at once).
import { randomUUID } from 'node:crypto';
import { connectRedis, createRedisClient } from '../../src/backends/redis/index.js';
import { RedisTokenBuckets } from '../../src/backends/redis/redis-token-buckets.js';
import { SharedTokenBuckets } from '../../src/http/shared-token-buckets.js';
import { TokenBuckets } from '../../src/http/token-buckets.js';
import { deleteKeysWithPrefix, REDIS_TEST_URL } from '../../test/helpers/redis.js';
import { runLoad, type BenchRow, type Scenario } from '../harness.js';

const SCENARIO = 'rate-limit';
const LIMITS = { perSecond: 50_000, burst: 50 };
const CONCURRENCY = 64;

export const rateLimitScenario: Scenario = {
  name: SCENARIO,
  title: 'fleet-wide rate limits: checks/s of one hot key, a take per check vs local share vs per process',
  async run(ctx) {
    const client = createRedisClient(REDIS_TEST_URL, { name: 'realmstate-bench' });
    if (!(await connectRedis(client))) throw new Error(`Redis at ${REDIS_TEST_URL} does not answer`);
    const prefix = `bench-${randomUUID()}:`;
    const store = new RedisTokenBuckets(client, { keyPrefix: prefix });
    const ms = ctx.quick ? 1000 : 5000;
    try {
      ctx.progress('per process');
      const local = new TokenBuckets();
      const perProcess = await runLoad(CONCURRENCY, ms, async () => local.take('game', LIMITS));
      ctx.progress('a take from Redis per check');
      const exact = new SharedTokenBuckets(store, 'exact', { shareMs: 0 });
      const perCheck = await runLoad(CONCURRENCY, ms, async () => exact.take('game', LIMITS));
      ctx.progress('local share');
      const shared = new SharedTokenBuckets(store, 'share', { shareMs: 10 });
      const share = await runLoad(CONCURRENCY, ms, async () => shared.take('game', LIMITS));
      const rows: BenchRow[] = [
        { scenario: SCENARIO, metric: 'checks/s, a take from Redis per check', unit: 'ops/s', ours: perCheck.perSecond, baseline: perProcess.perSecond, baselineName: 'per-process bucket', better: 'higher' },
        { scenario: SCENARIO, metric: 'checks/s, local share of 10 ms', unit: 'ops/s', ours: share.perSecond, baseline: perProcess.perSecond, baselineName: 'per-process bucket', better: 'higher' },
        { scenario: SCENARIO, metric: 'check p99, a take from Redis per check', unit: 'ms', ours: perCheck.p99, baseline: perProcess.p99, baselineName: 'per-process bucket', better: 'lower' },
        { scenario: SCENARIO, metric: 'check p99, local share of 10 ms', unit: 'ms', ours: share.p99, baseline: perProcess.p99, baselineName: 'per-process bucket', better: 'lower' },
      ];
      return rows;
    } finally {
      await deleteKeysWithPrefix(client, prefix);
      client.disconnect();
    }
  },
};
