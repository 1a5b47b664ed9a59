// GET /v1/players/{id} over HTTP at 64 connections: from the Redis cache against straight from PostgreSQL
// (consistency=strong), and against an empty fastify route on the same machine (the framework's own limit). The three
// run in alternating turns (runInterleaved), so a busy moment of the shared machine falls on every side of a ratio.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabases } from '../../test/helpers/backends.js';
import { deleteKeys, REDIS_TEST_URL as REDIS_URL, uniquePrefix } from '../../test/helpers/redis.js';
import { headers, startServerProcess } from '../../test/helpers/server-process.js';
import { runInterleaved, runLoad, type BenchRow, type InterleavedResult, type Scenario } from '../harness.js';
import { LoadClient } from '../http-client.js';
import { startEmptyServer } from '../server-child.js';

const CONCURRENCY = 64;

export const readPathScenario: Scenario = {
  name: 'read-path',
  title: 'GET /v1/players/{id}: Redis cache vs PostgreSQL, and an empty fastify route',
  async run(ctx) {
    const durationMs = ctx.quick ? 2000 : 10_000;
    const players = ctx.quick ? 500 : 5000;
    const dbs = await createDatabases(4);
    const prefix = uniquePrefix();
    const dirs = [mkdtempSync(join(tmpdir(), 'rs-bench-w-')), mkdtempSync(join(tmpdir(), 'rs-bench-r-'))];
    const env = { DATABASE_URLS: dbs.urls.join(','), REDIS_URL, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn' };
    const writer = await startServerProcess({ ...env, LOG_LEVEL: 'info', REALMSTATE_DATA_DIR: dirs[0] as string });
    const client = new LoadClient(writer.url, headers, CONCURRENCY);
    let reader: Awaited<ReturnType<typeof startServerProcess>> | undefined;
    try {
      ctx.progress(`creating ${players} players`);
      const ids = Array.from({ length: players }, (_, i) => `reader-${i}`);
      const state = { type: 'data.set', data: { key: 'profile', value: { name: 'Aria', guild: 'North Wind', level: 42, badges: ['a', 'b', 'c'] } } };
      // A 503 (a database busy with other work on a shared machine) is retried: a player left out would be read as 404.
      const create = async (id: string) => {
        for (let attempt = 1; ; attempt++) {
          const res = await client.send('POST', `/v1/players/${id}/events`, { events: [state, { type: 'stat.add', data: { stat: 'xp', amount: 1000 } }] });
          if (res.status < 400) return;
          if (res.status !== 503 || attempt >= 10) throw new Error(`creating ${id}: ${res.status} ${res.body.slice(0, 200)}`);
          await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
        }
      };
      const created = await runLoad(CONCURRENCY, 3_600_000, (_w, _i, n) => create(ids[n] as string), { maxOps: players });
      client.close();
      if (created.errors > 0) throw new Error(`${created.errors} players could not be created`, { cause: created.firstError });
      // A second process serves the reads: it has none of these players in memory, so reads come from the cache.
      reader = await startServerProcess({ ...env, LOG_LEVEL: 'info', REALMSTATE_DATA_DIR: dirs[1] as string });
      const rc = new LoadClient(reader.url, headers, CONCURRENCY);
      // The same pseudo-random walk over the players for every contender: op n reads player pick(n).
      const pick = (n: number) => ids[(n * 104_729) % ids.length] as string;
      const empty = await startEmptyServer();
      const ec = new LoadClient(empty.url, {}, CONCURRENCY);
      const CACHE = 'reads from the cache';
      const PRIMARY = 'reads from PostgreSQL';
      const EMPTY = 'empty fastify route';
      const rounds = ctx.quick ? 2 : 5;
      const roundMs = durationMs / rounds;
      let results: Map<string, InterleavedResult>;
      try {
        ctx.progress(`${CACHE} | ${PRIMARY} | ${EMPTY}: ${CONCURRENCY} connections, ${rounds} turns of ${roundMs / 1000} s each`);
        results = await runInterleaved([
          { name: CACHE, op: (n) => rc.request('GET', `/v1/players/${pick(n)}`) },
          { name: PRIMARY, op: (n) => rc.request('GET', `/v1/players/${pick(n)}?consistency=strong`) },
          { name: EMPTY, op: (n) => ec.request('GET', `/empty/${pick(n)}`) },
        ], { concurrency: CONCURRENCY, rounds, roundMs, warmupMs: ctx.quick ? 200 : 1000, progress: ctx.progress });
      } finally {
        rc.close();
        ec.close();
        await empty.stop();
      }
      const cached = results.get(CACHE) as InterleavedResult;
      const primary = results.get(PRIMARY) as InterleavedResult;
      const emptyRoute = results.get(EMPTY) as InterleavedResult;
      for (const r of [cached, primary, emptyRoute]) if (r.errors) throw new Error(`read errors: ${r.errors}`, { cause: r.firstError });
      const turns = (r: InterleavedResult) => r.rounds.map((x) => Math.round(x).toLocaleString('en-US')).join(', ');
      const note = `both servers run in a child process and share the cores with the load generator; the cache read adds auth, rate limits (lifted by the game config but still checked), validation and a Redis round trip; ${rounds} alternating turns (cache ${turns(cached)}/s, empty ${turns(emptyRoute)}/s)`;
      const rows: BenchRow[] = [
        { scenario: 'read-path', metric: `GET player reads/s (${CONCURRENCY} conns)`, unit: 'req/s', ours: cached.perSecond, baseline: primary.perSecond, baselineName: 'PostgreSQL', better: 'higher' },
        { scenario: 'read-path', metric: 'GET player p99', unit: 'ms', ours: cached.p99, baseline: primary.p99, baselineName: 'PostgreSQL', better: 'lower' },
        { scenario: 'read-path', metric: 'GET player from cache vs framework limit', unit: 'req/s', ours: cached.perSecond, baseline: emptyRoute.perSecond, baselineName: 'empty fastify route', better: 'higher',
          target: '≥ 0.75× empty route', met: cached.perSecond >= 0.75 * emptyRoute.perSecond, note },
      ];
      return rows;
    } finally {
      writer.child.kill('SIGTERM');
      reader?.child.kill('SIGTERM');
      await writer.exited;
      if (reader) await reader.exited;
      await deleteKeys(prefix);
      await dbs.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  },
};
