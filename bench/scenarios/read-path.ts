// GET /v1/players/{id} over HTTP: from the Redis cache against straight from PostgreSQL (consistency=strong),
// and against an empty fastify route on the same machine (the framework's own limit).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabases } from '../../test/helpers/backends.js';
import { deleteKeys, REDIS_TEST_URL as REDIS_URL, uniquePrefix } from '../../test/helpers/redis.js';
import { headers, startServerProcess } from '../../test/helpers/server-process.js';
import { runLoad, type BenchRow, type Scenario } from '../harness.js';
import { LoadClient } from '../http-client.js';

const CONCURRENCY = 32;

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
      await runLoad(CONCURRENCY, 3_600_000, (_w, _i, n) => client.request('POST', `/v1/players/${ids[n]}/events`, { events: [state, { type: 'stat.add', data: { stat: 'xp', amount: 1000 } }] }), { maxOps: players });
      client.close();
      // A second process serves the reads: it has none of these players in memory, so reads come from the cache.
      reader = await startServerProcess({ ...env, LOG_LEVEL: 'info', REALMSTATE_DATA_DIR: dirs[1] as string });
      const rc = new LoadClient(reader.url, headers, CONCURRENCY);
      const pick = (w: number, i: number) => ids[(w * 7919 + i * 104729) % ids.length] as string;
      ctx.progress('reads from the cache');
      const cached = await runLoad(CONCURRENCY, durationMs, (w, i) => rc.request('GET', `/v1/players/${pick(w, i)}`));
      ctx.progress('reads from PostgreSQL');
      const primary = await runLoad(CONCURRENCY, durationMs, (w, i) => rc.request('GET', `/v1/players/${pick(w, i)}?consistency=strong`));
      rc.close();

      ctx.progress('empty fastify route');
      const emptyServer = spawn(process.execPath, ['--import', 'tsx', new URL('../empty-server.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
      const address = await new Promise<string>((resolve, reject) => {
        emptyServer.stdout.on('data', (d: Buffer) => {
          const m = /listening on (\S+)/.exec(d.toString());
          if (m) resolve(m[1] as string);
        });
        emptyServer.once('exit', () => reject(new Error('empty server exited')));
      });
      const ec = new LoadClient(address, {}, CONCURRENCY);
      const empty = await runLoad(CONCURRENCY, durationMs, (w, i) => ec.request('GET', `/empty/${pick(w, i)}`));
      ec.close();
      emptyServer.kill('SIGTERM');
      for (const r of [cached, primary, empty]) if (r.errors) throw new Error(`read errors: ${r.errors}`, { cause: r.firstError });
      const note = 'both servers run in a child process and share the cores with the load generator; the cache read adds auth, validation and a Redis round trip';
      const rows: BenchRow[] = [
        { scenario: 'read-path', metric: 'GET player reads/s (32 conns)', unit: 'req/s', ours: cached.perSecond, baseline: primary.perSecond, baselineName: 'PostgreSQL', better: 'higher' },
        { scenario: 'read-path', metric: 'GET player p99', unit: 'ms', ours: cached.p99, baseline: primary.p99, baselineName: 'PostgreSQL', better: 'lower' },
        { scenario: 'read-path', metric: 'GET player from cache vs framework limit', unit: 'req/s', ours: cached.perSecond, baseline: empty.perSecond, baselineName: 'empty fastify route', better: 'higher', note },
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
