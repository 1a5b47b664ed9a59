// Resharding while the game runs: a rebalance from 4 PostgreSQL shards to 5 under a load of sync appends.
// Reports rows copied per second, the freeze time per slot (p50/p99), and the load's throughput and p99 during the
// move against the same load with no move, in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateCluster, PgCluster } from '../../src/backends/postgres/index.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { createRealm } from '../../src/realm.js';
import { ShardMover } from '../../src/resharding/index.js';
import { loadSettings } from '../../src/settings.js';
import { createDatabases } from '../../test/helpers/backends.js';
import { percentile, runLoad, type BenchRow, type Scenario } from '../harness.js';

const WRITERS = 32;

export const reshardScenario: Scenario = {
  name: 'reshard',
  title: 'rebalance 4 → 5 PostgreSQL shards under load: copy rate, freeze per slot, load during the move vs without',
  async run(ctx) {
    const players = ctx.quick ? 2000 : 20_000;
    const eventsEach = ctx.quick ? 5 : 20;
    const dbs = await createDatabases(5);
    const dataDir = mkdtempSync(join(tmpdir(), 'rs-bench-reshard-'));
    const four = new PgCluster(dbs.urls.slice(0, 4));
    await migrateCluster(four);
    await four.close();
    const sql = new PgCluster(dbs.urls, [], { max: 16, connectionTimeoutMillis: 5000, statementTimeoutMs: 60_000 });
    const settings = loadSettings({ REALMSTATE_DATA_DIR: dataDir, REALMSTATE_API_KEY: 'k'.repeat(24), REALMSTATE_ADMIN_KEY: 'a'.repeat(24), LOG_LEVEL: 'silent' });
    const realm = await createRealm({ settings, logger: silentLogger, sql, processMetrics: false });
    try {
      ctx.progress(`seeding ${players} players × ${eventsEach} events`);
      const event = { type: 'stat.add' as const, data: { stat: 'xp', amount: 1 } };
      await runLoad(WRITERS, 3_600_000, (_w, _i, n) => realm.players.append(`rs-${n % players}`, Array.from({ length: eventsEach }, () => event)), { maxOps: players });
      await realm.players.flush();
      const append = (w: number, i: number) => realm.players.append(`rs-${(w * 7919 + i * 104_729) % players}`, [event]);
      const loadMs = ctx.quick ? 4000 : 15_000;

      ctx.progress(`load without a move, ${loadMs / 1000} s`);
      const quiet = await runLoad(WRITERS, loadMs, append);

      ctx.progress('load during a rebalance 4 → 5');
      const freezes: number[] = [];
      const mover = new ShardMover(sql, new Metrics(), silentLogger, { onSwitched: (s) => { if (s.slots === 1) freezes.push(s.freezeMs); } });
      const started = performance.now();
      const { done } = await mover.start('rebalance');
      let moveMs = 0;
      let moving = true;
      const ended = done.finally(() => {
        moveMs = performance.now() - started;
        moving = false;
      });
      // The load runs as long as the move, so the ratio compares the same load with and without it.
      const during = await loadWhile(() => moving, WRITERS, append);
      const move = await ended;
      if (move.state !== 'done') throw new Error(`the move ended ${move.state}: ${move.error}`);
      if (quiet.errors || during.errors) throw new Error(`errors: quiet ${quiet.errors}, during ${during.errors}`);
      freezes.sort((a, b) => a - b);
      const rows: BenchRow[] = [
        { scenario: 'reshard', metric: 'rows copied per second', unit: 'rows/s', ours: move.rowsCopied / (moveMs / 1000), baseline: NaN, baselineName: '-', better: 'higher', note: `${move.rowsCopied} rows, ${move.slotsDone} slots in ${(moveMs / 1000).toFixed(1)} s` },
        { scenario: 'reshard', metric: 'freeze per slot p50', unit: 'ms', ours: percentile(freezes, 50), baseline: NaN, baselineName: '-', better: 'lower', note: `${freezes.length} slots with players` },
        { scenario: 'reshard', metric: 'freeze per slot p99', unit: 'ms', ours: percentile(freezes, 99), baseline: 1000, baselineName: 'target', better: 'lower', target: '≤ 1000 ms', met: percentile(freezes, 99) <= 1000 },
        { scenario: 'reshard', metric: 'sync appends/s during the move', unit: 'events/s', ours: during.perSecond, baseline: quiet.perSecond, baselineName: 'no move', better: 'higher', target: '≥ 0.5× no move', met: during.perSecond >= 0.5 * quiet.perSecond },
        { scenario: 'reshard', metric: 'p99 append latency during the move', unit: 'ms', ours: during.p99, baseline: quiet.p99, baselineName: 'no move', better: 'lower' },
      ];
      return rows;
    } finally {
      await realm.close();
      await dbs.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

/** Like runLoad, for as long as `go()` holds. */
async function loadWhile(go: () => boolean, concurrency: number, op: (w: number, i: number) => Promise<unknown>): Promise<{ perSecond: number; p99: number; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; go(); i++) {
        const s = performance.now();
        try {
          await op(w, i);
          latencies.push(performance.now() - s);
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / seconds, p99: percentile(latencies, 99), errors };
}
