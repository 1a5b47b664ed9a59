// Write-behind against write-through of the `players` row: N players × 20 changes inside one flush window.
// Both sides persist the same states to the same PostgreSQL shards; we count statements and rows sent.
import { PgCluster } from '../../src/backends/postgres/index.js';
import { migrateCluster } from '../../src/backends/postgres/index.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { applyEvents, type PlayerState } from '../../src/players/index.js';
import { upsertPlayerRows } from '../../src/players/state-rows.js';
import { WriteBehind } from '../../src/players/write-behind.js';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { createDatabases } from '../../test/helpers/backends.js';
import { runLoad, timeIt, type BenchRow, type Scenario } from '../harness.js';

export const writeBehindScenario: Scenario = {
  name: 'write-behind',
  title: 'players row: write-behind vs write-through (N players × 20 changes in one window)',
  async run(ctx) {
    const players = ctx.quick ? 1000 : 10_000;
    const changes = 20;
    const dbs = await createDatabases(4);
    const cluster = new PgCluster(dbs.urls, [], { max: 16, connectionTimeoutMillis: 5000, statementTimeoutMs: 120_000 });
    try {
      await migrateCluster(cluster);
      const router = new ShardRouter(SlotMap.even(4));
      const ids = Array.from({ length: players }, (_, i) => `wb-${i}`);
      // The states of each change, computed up front so both sides send identical rows.
      const at = new Date().toISOString();
      const states: PlayerState[][] = ids.map((id) => {
        const out: PlayerState[] = [];
        let s: PlayerState | null = null;
        for (let c = 0; c < changes; c++) {
          s = applyEvents(s, id, [{ type: 'stat.add', data: { stat: 'xp', amount: 10 } }], at);
          out.push(s);
        }
        return out;
      });
      const total = players * changes;

      ctx.progress(`write-behind: ${total.toLocaleString()} changes`);
      const metrics = new Metrics();
      const wb = new WriteBehind(cluster.shards, { intervalMs: 3_600_000, maxDirty: Number.MAX_SAFE_INTEGER }, metrics, silentLogger);
      const ours = await timeIt(async () => {
        for (let c = 0; c < changes; c++) for (let p = 0; p < players; p++) wb.markDirty(router.shardOf(ids[p] as string), states[p]![c]!);
        if (!(await wb.flushAll(Date.now() + 600_000))) throw new Error('write-behind flush failed');
      });
      const ourStatements = (await metrics.writeBehindStatements.get()).values[0]?.value ?? 0;
      const ourRows = (await metrics.writeBehindFlushed.get()).values[0]?.value ?? 0;
      await Promise.all(cluster.shards.map((s) => s.query('TRUNCATE players')));

      ctx.progress(`write-through: ${total.toLocaleString()} upserts, 64 at a time`);
      let statements = 0;
      // Change c of every player goes out before change c+1, as in a live game; each change is its own upsert.
      const through = await runLoad(64, 3_600_000, async (_w, _i, n) => {
        const c = Math.floor(n / players);
        const p = n % players;
        const state = states[p]![c]!;
        statements++;
        await upsertPlayerRows(cluster.shards[router.shardOf(state.playerId)]!, [state]);
      }, { maxOps: total, onProgress: (done) => ctx.progress(`write-through ${done.toLocaleString()}/${total.toLocaleString()}`) });
      if (through.errors) throw new Error(`write-through had ${through.errors} errors`, { cause: through.firstError });

      const rows: BenchRow[] = [
        {
          scenario: 'write-behind', metric: `row statements for ${players.toLocaleString()}×${changes} changes`, unit: 'stmts',
          ours: ourStatements, baseline: statements, baselineName: 'write-through', better: 'lower',
          target: 'seed: 95% fewer writes', met: ourStatements <= statements * 0.05,
          note: `rows sent: ${ourRows.toLocaleString()} vs ${statements.toLocaleString()} (${(100 - (100 * ourRows) / statements).toFixed(1)}% fewer)`,
        },
        {
          scenario: 'write-behind', metric: 'changes persisted per second', unit: 'changes/s',
          ours: total / (ours.ms / 1000), baseline: through.perSecond, baselineName: 'write-through', better: 'higher',
        },
      ];
      return rows;
    } finally {
      await cluster.close();
      await dbs.drop();
    }
  },
};
