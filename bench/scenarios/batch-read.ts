// Reading 1,000 players spread over 4 PostgreSQL shards: the shards queried in parallel (ShardRouter.fanOut)
// against one shard after the other, with the same queries.
import { PgCluster, migrateCluster } from '../../src/backends/postgres/index.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { loadPlayers, PlayerStore } from '../../src/players/index.js';
import { DEFAULT_ENGINE_OPTIONS } from '../../src/settings.js';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { createDatabases } from '../../test/helpers/backends.js';
import { percentile, runLoad, type BenchRow, type Scenario } from '../harness.js';

export const batchReadScenario: Scenario = {
  name: 'batch-read',
  title: 'batch read of 1,000 players over 4 shards: parallel vs one shard at a time',
  async run(ctx) {
    const players = 1000;
    const rounds = ctx.quick ? 20 : 200;
    const dbs = await createDatabases(4);
    const cluster = new PgCluster(dbs.urls);
    try {
      await migrateCluster(cluster);
      const router = new ShardRouter(SlotMap.even(4));
      const store = new PlayerStore(cluster, router, { ...DEFAULT_ENGINE_OPTIONS }, new Metrics(), silentLogger);
      const ids = Array.from({ length: players }, (_, i) => `batch-${i}`);
      ctx.progress(`creating ${players} players`);
      await runLoad(32, 3_600_000, (_w, _i, n) => store.append(ids[n] as string, [
        { type: 'stat.add', data: { stat: 'xp', amount: n } },
        { type: 'data.set', data: { key: 'profile', value: { name: `p${n}`, guild: 'North Wind' } } },
      ]), { maxOps: players });
      await store.close(10_000);

      const parallel: number[] = [];
      const serial: number[] = [];
      for (let r = 0; r < rounds; r++) {
        let t = performance.now();
        const a = await store.loadCommitted(ids);
        parallel.push(performance.now() - t);
        t = performance.now();
        let n = 0;
        for (const [shard, group] of router.groupByShard(ids)) n += (await loadPlayers(cluster.shards[shard]!, group)).size;
        serial.push(performance.now() - t);
        if (a.size !== players || n !== players) throw new Error(`read ${a.size} and ${n} of ${players}`);
      }
      parallel.sort((x, y) => x - y);
      serial.sort((x, y) => x - y);
      const rows: BenchRow[] = [
        { scenario: 'batch-read', metric: '1,000 players over 4 shards, p50', unit: 'ms', ours: percentile(parallel, 50), baseline: percentile(serial, 50), baselineName: 'one shard at a time', better: 'lower', note: 'all four shards are databases of one local PostgreSQL on 2 cores, so parallelism gains less than with shards on separate servers' },
        { scenario: 'batch-read', metric: '1,000 players over 4 shards, p99', unit: 'ms', ours: percentile(parallel, 99), baseline: percentile(serial, 99), baselineName: 'one shard at a time', better: 'lower' },
      ];
      return rows;
    } finally {
      await cluster.close();
      await dbs.drop();
    }
  },
};
