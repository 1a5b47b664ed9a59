// Score submissions at one concurrency, same Redis, same run: the library (LeaderboardService.submit: exact,
// tie-fair, with its durable copy), raw ioredis ZADD (the floor a client can reach), the npm package redis-rank
// (a peer: a `best` update in one Lua script, no tie order), redis-benchmark ZADD (the server's own limit, no
// Node.js client), and POST /v1/leaderboards/{board}/scores on a real server process against an empty fastify POST
// route that parses the same JSON body. Contenders that are compared run in alternating turns (runInterleaved), so a
// busy moment of the shared machine falls on both sides of a ratio.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type * as RedisRank from 'redis-rank';
import { RedisSortedSets } from '../../src/backends/redis/index.js';
import { writeBenchConfig } from '../bench-config.js';
import { runInterleaved, type BenchRow, type Contender, type InterleavedResult, type Scenario } from '../harness.js';
import { LoadClient } from '../http-client.js';
import { assertNoErrors, count, cpuText, openBenchRealm, REDIS_URL, redisCpuSeconds, seededRandom, type CpuShares } from '../lb-support.js';
import { hasRedisBenchmark, runRedisBenchmark } from '../redis-benchmark.js';
import { startEmptyServer, startServerChild, type ServerChild } from '../server-child.js';

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
  title: 'leaderboard submissions: library and HTTP vs raw ZADD, redis-rank, redis-benchmark and an empty route',
  async run(ctx) {
    const rounds = ctx.quick ? 2 : 5;
    const roundMs = ctx.quick ? 300 : 2000;
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
    let empty: Awaited<ReturnType<typeof startEmptyServer>> | undefined;
    const dataDir = mkdtempSync(join(tmpdir(), 'rs-bench-lb-submit-'));
    // CPU of this process and of Redis, added up over each contender's turns: which side limited a figure.
    const cpuTotals = new Map<string, { client: number; redis: number; seconds: number }>();
    const around = async (name: string, turn: () => Promise<void>) => {
      const r0 = await redisCpuSeconds(raw);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await turn();
      const seconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const r1 = await redisCpuSeconds(raw);
      const total = cpuTotals.get(name) ?? { client: 0, redis: 0, seconds: 0 };
      total.client += (c.user + c.system) / 1e6;
      total.redis += r1 - r0;
      total.seconds += seconds;
      cpuTotals.set(name, total);
    };
    const cpuOf = (what: string): string => {
      const t = cpuTotals.get(what);
      if (!t) return 'CPU not measured';
      const shares: CpuShares = { client: (100 * t.client) / t.seconds, redis: (100 * t.redis) / t.seconds };
      return cpuText(shares);
    };
    const measure = async (contenders: Contender[]): Promise<Map<string, InterleavedResult>> => {
      ctx.progress(`${contenders.map((c) => c.name).join(' | ')}: ${CONCURRENCY} concurrent, ${rounds} turns of ${roundMs / 1000} s each`);
      const results = await runInterleaved(contenders, { concurrency: CONCURRENCY, rounds, roundMs, warmupMs, progress: ctx.progress, around });
      for (const [what, result] of results) {
        assertNoErrors(what, result);
        ctx.progress(`${what}: ${count(Math.round(result.perSecond))}/s, p99 ${result.p99.toFixed(2)} ms (${cpuOf(what)})`);
      }
      return results;
    };
    const spread = (r: InterleavedResult) => `turns ${r.rounds.map((x) => count(Math.round(x))).join(', ')}/s`;
    try {
      await raw.connect();
      const boards = bench.realm.leaderboards;
      await boards.define('bench-submit', { order: 'desc', operator: 'best', reset: 'never' });
      await boards.define('bench-submit-http', { order: 'desc', operator: 'best', reset: 'never' });

      const LIB = 'library submit (desc, best)';
      const RAW = 'raw ioredis ZADD';
      // The Redis adapter alone (its Lua script through the realm's own client, no service around it): splits the gap in two.
      const PORT = 'Redis adapter submit (port only)';
      const PEER = 'redis-rank updateOne (high-to-low, best)';
      const rawKey = `${bench.prefix}raw:z`;
      const realmRedis = bench.realm.redis;
      if (!realmRedis) throw new Error('the benchmark realm has no Redis client');
      const adapter = new RedisSortedSets(realmRedis, { keyPrefix: bench.prefix });
      await adapter.restore('port-only', async () => [], { force: true });
      let at = Date.now() * 1000;
      const contenders: Contender[] = [
        { name: LIB, op: (n) => boards.submit('bench-submit', { playerId: player(n), score: score(n) }) },
        { name: RAW, op: (n) => raw.zadd(rawKey, score(n), player(n)) },
        { name: PORT, op: (n) => adapter.submit('port-only', player(n), { op: 'min', value: -score(n), at: at++ }) },
      ];
      const rr = await loadRedisRank();
      if (typeof rr !== 'string') {
        const lb = new rr.Leaderboard(raw, `${bench.prefix}redis-rank:z`, { sortPolicy: 'high-to-low', updatePolicy: 'best' });
        contenders.push({ name: PEER, op: (n) => lb.updateOne(player(n), score(n)) });
      }
      const inProcess = await measure(contenders);
      const library = inProcess.get(LIB) as InterleavedResult;
      const zadd = inProcess.get(RAW) as InterleavedResult;
      const port = inProcess.get(PORT) as InterleavedResult;
      const peer: InterleavedResult | string = typeof rr === 'string' ? rr : (inProcess.get(PEER) as InterleavedResult);

      let serverLimit: Awaited<ReturnType<typeof runRedisBenchmark>> | string;
      if (!hasRedisBenchmark()) serverLimit = 'redis-benchmark is not installed on this machine';
      else {
        const requests = ctx.quick ? 100_000 : 1_000_000;
        ctx.progress(`redis-benchmark ZADD: -c ${CONCURRENCY} -n ${count(requests)}`);
        serverLimit = await runRedisBenchmark({ url: REDIS_URL, clients: CONCURRENCY, requests, keyspace: players, command: ['ZADD', `${bench.prefix}redis-benchmark:z`, '__rand_int__', 'p__rand_int__'] });
      }

      ctx.progress('starting a server process for the HTTP submissions, and an empty fastify server');
      // One after the other, each kept as soon as it runs, so a failure of either leaves nothing running behind.
      server = await startServerChild({
        DATABASE_URLS: bench.databaseUrls.join(','), REDIS_URL, REDIS_KEY_PREFIX: bench.prefix, REALMSTATE_DATA_DIR: dataDir,
        REALMSTATE_CONFIG: writeBenchConfig(dataDir), REALMSTATE_API_KEY: GAME_KEY, REALMSTATE_ADMIN_KEY: `${GAME_KEY}-admin`,
      });
      empty = await startEmptyServer();
      const headers = { authorization: `Bearer ${GAME_KEY}` };
      // The board was made with PUT semantics by the in-process realm; make sure the server sees it before loading it.
      const probe = await fetch(`${server.url}/v1/leaderboards`, { headers });
      if (!(await probe.text()).includes('bench-submit-http')) throw new Error('the server process does not list the benchmark board');
      const client = new LoadClient(server.url, headers, CONCURRENCY);
      const emptyClient = new LoadClient(empty.url, headers, CONCURRENCY);
      const HTTP = 'POST /v1/leaderboards/{board}/scores';
      const EMPTY = 'empty fastify POST route';
      const overHttp = await measure([
        { name: HTTP, op: (n) => client.request('POST', '/v1/leaderboards/bench-submit-http/scores', { playerId: player(n), score: score(n) }) },
        { name: EMPTY, op: (n) => emptyClient.request('POST', '/empty/bench-submit-http/scores', { playerId: player(n), score: score(n) }) },
      ]);
      client.close();
      emptyClient.close();
      const http = overHttp.get(HTTP) as InterleavedResult;
      const emptyRoute = overHttp.get(EMPTY) as InterleavedResult;

      const conc = `${CONCURRENCY} concurrent, one connection each side, ${rounds} alternating turns of ${roundMs / 1000} s`;
      const rows: BenchRow[] = [
        {
          scenario: SCENARIO, metric: `library submits/s (${CONCURRENCY} conc.)`, unit: 'ops/s', ours: library.perSecond, baseline: zadd.perSecond, baselineName: 'raw ioredis ZADD',
          better: 'higher', target: '≥ 0.8× raw', met: library.perSecond >= 0.8 * zadd.perSecond,
          note: `${conc}; the library runs a Lua script per write (marker check, HGET, ZSCORE, ZADD, HSET, ZRANK: exact, tie-fair, returns the rank), the writes of one turn in one script call per 16, and queues the durable copy (upserted to PostgreSQL every second from the same process); raw ZADD is one command per call without rank, on a plain ioredis client (default options). Library: ${cpuOf(LIB)}, ${spread(library)}; raw: ${cpuOf(RAW)}, ${spread(zadd)}`,
        },
        {
          scenario: SCENARIO, metric: 'Redis adapter submits/s (port only)', unit: 'ops/s', ours: port.perSecond, baseline: zadd.perSecond, baselineName: 'raw ioredis ZADD', better: 'higher',
          target: '≥ 0.9× raw', met: port.perSecond >= 0.9 * zadd.perSecond,
          note: `RedisSortedSets.submit alone on the realm's Redis client (same script calls, no board lookup, season, stamps or durable copy): ${cpuOf(PORT)}, ${spread(port)}`,
        },
        { scenario: SCENARIO, metric: 'library submit p99', unit: 'ms', ours: library.p99, baseline: zadd.p99, baselineName: 'raw ioredis ZADD', better: 'lower' },
      ];
      if (typeof peer === 'string') {
        rows.push({ scenario: SCENARIO, metric: 'library submits/s vs redis-rank', unit: 'ops/s', ours: library.perSecond, baseline: NaN, baselineName: 'redis-rank (not run)', better: 'higher', note: peer });
      } else {
        rows.push({
          scenario: SCENARIO, metric: 'library submits/s vs redis-rank', unit: 'ops/s', ours: library.perSecond, baseline: peer.perSecond, baselineName: 'redis-rank best', better: 'higher',
          note: `redis-rank 2.2.3 works on Node ${process.version} with ioredis 5; its best-update is one Lua script without tie order or rank in the reply (${cpuOf(PEER)})`,
        });
      }
      if (typeof serverLimit === 'string') {
        rows.push({ scenario: SCENARIO, metric: 'library submits/s vs redis-benchmark ZADD', unit: 'ops/s', ours: library.perSecond, baseline: NaN, baselineName: 'redis-benchmark (skipped)', better: 'higher', note: serverLimit });
      } else {
        rows.push({
          scenario: SCENARIO, metric: 'library submits/s vs redis-benchmark ZADD', unit: 'ops/s', ours: library.perSecond, baseline: serverLimit.requestsPerSecond, baselineName: 'redis-benchmark ZADD', better: 'higher',
          note: `redis-benchmark -c ${CONCURRENCY} (${CONCURRENCY} connections, one request in flight each; C client), run after the turns above: the Redis server's own limit, p50 ${serverLimit.p50Ms} ms, p99 ${serverLimit.p99Ms} ms`,
        });
      }
      rows.push(
        {
          scenario: SCENARIO, metric: `HTTP submits/s (${CONCURRENCY} conns)`, unit: 'req/s', ours: http.perSecond, baseline: emptyRoute.perSecond, baselineName: 'empty fastify POST route', better: 'higher',
          target: '≥ 0.6× empty route', met: http.perSecond >= 0.6 * emptyRoute.perSecond,
          note: `POST /v1/leaderboards/{board}/scores on a real server process (auth, rate limits lifted by the game config but still checked, schema validation, the Lua script, the durable copy, metrics) against an empty fastify route in its own process that parses the same JSON body; ${rounds} alternating turns, both sharing the 2 cores with the load client (${spread(http)} against ${spread(emptyRoute)})`,
        },
        { scenario: SCENARIO, metric: 'HTTP submit p99', unit: 'ms', ours: http.p99, baseline: emptyRoute.p99, baselineName: 'empty fastify POST route', better: 'lower' },
        {
          scenario: SCENARIO, metric: 'HTTP submits/s vs raw ZADD', unit: 'req/s', ours: http.perSecond, baseline: zadd.perSecond, baselineName: 'raw ioredis ZADD', better: 'higher',
          note: 'the HTTP figure against the in-process floor measured above (not in the same turns)',
        },
      );
      return rows;
    } finally {
      await server?.stop();
      await empty?.stop();
      raw.disconnect();
      await bench.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
