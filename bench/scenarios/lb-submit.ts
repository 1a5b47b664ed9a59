// Score submissions at one concurrency, same Redis, same run: the library (LeaderboardService.submit: exact,
// tie-fair, with its durable copy), raw ioredis ZADD (the floor a client can reach), the npm package redis-rank
// (a peer: a `best` update in one Lua script, no tie order), redis-benchmark ZADD (the server's own limit, no
// Node.js client), and POST /v1/leaderboards/{board}/scores on a real server process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type * as RedisRank from 'redis-rank';
import { RedisSortedSets } from '../../src/backends/redis/index.js';
import { writeBenchConfig } from '../bench-config.js';
import { runLoad, type BenchRow, type LoadResult, type Scenario } from '../harness.js';
import { LoadClient } from '../http-client.js';
import { assertNoErrors, count, cpuText, openBenchRealm, REDIS_URL, seededRandom, withCpuShares, type CpuShares } from '../lb-support.js';
import { hasRedisBenchmark, runRedisBenchmark } from '../redis-benchmark.js';
import { startServerChild, type ServerChild } from '../server-child.js';

const CONCURRENCY = 64;
const GAME_KEY = 'bench-game-key-0123456789';
const SCENARIO = 'lb-submit';

type RedisRankModule = typeof RedisRank;

/** redis-rank, or why it cannot be used here. */
async function loadRedisRank(): Promise<RedisRankModule | string> {
  try {
    return await import('redis-rank');
  } catch (err) {
    return `the npm package redis-rank could not be loaded: ${(err as Error).message}`;
  }
}

export const lbSubmitScenario: Scenario = {
  name: SCENARIO,
  title: 'leaderboard submissions: library and HTTP vs raw ZADD, redis-rank and redis-benchmark',
  async run(ctx) {
    const durationMs = ctx.quick ? 1500 : 10_000;
    const warmupMs = ctx.quick ? 200 : 1000;
    const players = ctx.quick ? 10_000 : 50_000;
    const ids = Array.from({ length: players }, (_, i) => `p${i}`);
    const random = seededRandom(7);
    // Precomputed so every contender submits the same sequence of (player, score) and pays nothing to draw them.
    const ops = 1 << 20;
    const pickPlayer = Int32Array.from({ length: ops }, () => Math.floor(random() * players));
    const pickScore = Float64Array.from({ length: ops }, () => Math.floor(random() * 10_000_000));
    const player = (n: number) => ids[pickPlayer[n % ops] as number] as string;
    const score = (n: number) => pickScore[n % ops] as number;

    const bench = await openBenchRealm(SCENARIO, 4);
    const raw = new Redis(REDIS_URL, { lazyConnect: true });
    let server: ServerChild | undefined;
    const dataDir = mkdtempSync(join(tmpdir(), 'rs-bench-lb-submit-'));
    const cpu = new Map<string, CpuShares>();
    const measure = async (what: string, op: (n: number) => Promise<unknown>): Promise<LoadResult> => {
      ctx.progress(`${what}: ${CONCURRENCY} concurrent for ${durationMs / 1000} s`);
      await runLoad(CONCURRENCY, warmupMs, (_w, _i, n) => op(n + ops / 2));
      const { value: result, cpu: shares } = await withCpuShares(raw, () => runLoad(CONCURRENCY, durationMs, (_w, _i, n) => op(n)));
      assertNoErrors(what, result);
      cpu.set(what, shares);
      ctx.progress(`${what}: ${count(Math.round(result.perSecond))}/s, p99 ${result.p99.toFixed(2)} ms (${cpuText(shares)})`);
      return result;
    };
    const cpuOf = (what: string) => cpuText(cpu.get(what) as CpuShares);
    try {
      await raw.connect();
      const boards = bench.realm.leaderboards;
      await boards.define('bench-submit', { order: 'desc', operator: 'best', reset: 'never' });
      await boards.define('bench-submit-http', { order: 'desc', operator: 'best', reset: 'never' });

      const LIB = 'library submit (desc, best)';
      const RAW = 'raw ioredis ZADD';
      const library = await measure(LIB, (n) => boards.submit('bench-submit', { playerId: player(n), score: score(n) }));
      const rawKey = `${bench.prefix}raw:z`;
      const zadd = await measure(RAW, (n) => raw.zadd(rawKey, score(n), player(n)));
      // The Redis adapter alone (its Lua script through ioredis, no service around it): splits the gap in two.
      const PORT = 'Redis adapter submit (port only)';
      const adapter = new RedisSortedSets(raw, { keyPrefix: bench.prefix });
      await adapter.restore('port-only', async () => [], { force: true });
      let at = Date.now() * 1000;
      const port = await measure(PORT, (n) => adapter.submit('port-only', player(n), { op: 'min', value: -score(n), at: at++ }));

      const rr = await loadRedisRank();
      let peer: LoadResult | string;
      if (typeof rr === 'string') peer = rr;
      else {
        const lb = new rr.Leaderboard(raw, `${bench.prefix}redis-rank:z`, { sortPolicy: 'high-to-low', updatePolicy: 'best' });
        peer = await measure('redis-rank updateOne (high-to-low, best)', (n) => lb.updateOne(player(n), score(n)));
      }

      let serverLimit: Awaited<ReturnType<typeof runRedisBenchmark>> | string;
      if (!hasRedisBenchmark()) serverLimit = 'redis-benchmark is not installed on this machine';
      else {
        const requests = ctx.quick ? 100_000 : 1_000_000;
        ctx.progress(`redis-benchmark ZADD: -c ${CONCURRENCY} -n ${count(requests)}`);
        serverLimit = await runRedisBenchmark({ url: REDIS_URL, clients: CONCURRENCY, requests, keyspace: players, command: ['ZADD', `${bench.prefix}redis-benchmark:z`, '__rand_int__', 'p__rand_int__'] });
      }

      ctx.progress('starting a server process for the HTTP submissions');
      server = await startServerChild({
        DATABASE_URLS: bench.databaseUrls.join(','), REDIS_URL, REDIS_KEY_PREFIX: bench.prefix, REALMSTATE_DATA_DIR: dataDir,
        REALMSTATE_CONFIG: writeBenchConfig(dataDir), REALMSTATE_API_KEY: GAME_KEY, REALMSTATE_ADMIN_KEY: `${GAME_KEY}-admin`,
      });
      const headers = { authorization: `Bearer ${GAME_KEY}` };
      // The board was made with PUT semantics by the in-process realm; make sure the server sees it before loading it.
      const probe = await fetch(`${server.url}/v1/leaderboards`, { headers });
      if (!(await probe.text()).includes('bench-submit-http')) throw new Error('the server process does not list the benchmark board');
      const client = new LoadClient(server.url, headers, CONCURRENCY);
      const HTTP = 'POST /v1/leaderboards/{board}/scores';
      const http = await measure(HTTP, (n) => client.request('POST', '/v1/leaderboards/bench-submit-http/scores', { playerId: player(n), score: score(n) }));
      client.close();

      const conc = `${CONCURRENCY} concurrent, one connection each side`;
      const rows: BenchRow[] = [
        {
          scenario: SCENARIO, metric: `library submits/s (${CONCURRENCY} conc.)`, unit: 'ops/s', ours: library.perSecond, baseline: zadd.perSecond, baselineName: 'raw ioredis ZADD',
          better: 'higher', target: '≥ 0.8× raw', met: library.perSecond >= 0.8 * zadd.perSecond,
          note: `${conc}; the library runs one Lua script (marker check, HGET, ZSCORE, ZADD, HSET, ZRANK: exact, tie-fair, returns the rank) and queues the durable copy (upserted to PostgreSQL every second from the same process), raw ZADD is one command without rank. Library: ${cpuOf(LIB)}; raw: ${cpuOf(RAW)}`,
        },
        {
          scenario: SCENARIO, metric: 'Redis adapter submits/s (port only)', unit: 'ops/s', ours: port.perSecond, baseline: zadd.perSecond, baselineName: 'raw ioredis ZADD', better: 'higher',
          note: `RedisSortedSets.submit alone (same Lua script, no board lookup, season, stamps or durable copy): ${cpuOf(PORT)}`,
        },
        { scenario: SCENARIO, metric: 'library submit p99', unit: 'ms', ours: library.p99, baseline: zadd.p99, baselineName: 'raw ioredis ZADD', better: 'lower' },
      ];
      if (typeof peer === 'string') {
        rows.push({ scenario: SCENARIO, metric: 'library submits/s vs redis-rank', unit: 'ops/s', ours: library.perSecond, baseline: NaN, baselineName: 'redis-rank (not run)', better: 'higher', note: peer });
      } else {
        rows.push({
          scenario: SCENARIO, metric: 'library submits/s vs redis-rank', unit: 'ops/s', ours: library.perSecond, baseline: peer.perSecond, baselineName: 'redis-rank best', better: 'higher',
          note: `redis-rank 2.2.3 works on Node ${process.version} with ioredis 5; its best-update is one Lua script without tie order or rank in the reply`,
        });
      }
      if (typeof serverLimit === 'string') {
        rows.push({ scenario: SCENARIO, metric: 'library submits/s vs redis-benchmark ZADD', unit: 'ops/s', ours: library.perSecond, baseline: NaN, baselineName: 'redis-benchmark (skipped)', better: 'higher', note: serverLimit });
      } else {
        rows.push({
          scenario: SCENARIO, metric: 'library submits/s vs redis-benchmark ZADD', unit: 'ops/s', ours: library.perSecond, baseline: serverLimit.requestsPerSecond, baselineName: 'redis-benchmark ZADD', better: 'higher',
          note: `redis-benchmark -c ${CONCURRENCY} (${CONCURRENCY} connections, one request in flight each; C client): the Redis server's own limit, p50 ${serverLimit.p50Ms} ms, p99 ${serverLimit.p99Ms} ms`,
        });
      }
      rows.push(
        {
          scenario: SCENARIO, metric: `HTTP submits/s (${CONCURRENCY} conns)`, unit: 'req/s', ours: http.perSecond, baseline: zadd.perSecond, baselineName: 'raw ioredis ZADD', better: 'higher',
          note: `POST /v1/leaderboards/{board}/scores on a real server process (auth, schema validation, JSON) sharing the 2 cores with the load client (load client: ${cpuOf(HTTP)})`,
        },
        { scenario: SCENARIO, metric: 'HTTP submit p99', unit: 'ms', ours: http.p99, baseline: zadd.p99, baselineName: 'raw ioredis ZADD', better: 'lower' },
      );
      return rows;
    } finally {
      await server?.stop();
      raw.disconnect();
      await bench.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
