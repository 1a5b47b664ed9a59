// Group commit against one transaction per append: `sync` appends from 64 concurrent writers on 4 PostgreSQL shards.
// The baseline writes the same rows (events + outbox) with the same SQL, one transaction per request.
// Then one hot player (a world boss, a guild bank): `sync` appends to ONE player from 16 writers, against the same load
// spread over 16 players, through the library (PlayerStore), in the same run.
import { PgCluster, migrateCluster } from '../../src/backends/postgres/index.js';
import { insertEvents, insertOutbox } from '../../src/events/event-log.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { PlayerStore } from '../../src/players/index.js';
import { DEFAULT_ENGINE_OPTIONS } from '../../src/settings.js';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { createDatabases } from '../../test/helpers/backends.js';
import { runLoad, type BenchRow, type Scenario } from '../harness.js';

const WRITERS = 64;
const HOT_WRITERS = 16;

export const groupCommitScenario: Scenario = {
  name: 'group-commit',
  title: 'sync appends at 64 writers: group commit vs a transaction per append',
  async run(ctx) {
    const durationMs = ctx.quick ? 2000 : 10_000;
    const dbs = await createDatabases(4);
    const cluster = new PgCluster(dbs.urls, [], { max: 16, connectionTimeoutMillis: 5000, statementTimeoutMs: 60_000 });
    try {
      await migrateCluster(cluster);
      const router = new ShardRouter(SlotMap.even(4));
      const store = new PlayerStore(cluster, router, { ...DEFAULT_ENGINE_OPTIONS, writeBehindIntervalMs: 3_600_000 }, new Metrics(), silentLogger);
      const event = { type: 'stat.add' as const, data: { stat: 'xp', amount: 1 } };

      ctx.progress(`group commit, ${durationMs / 1000} s`);
      const ours = await runLoad(WRITERS, durationMs, (w) => store.append(`gc-${w}`, [event]));

      ctx.progress(`transaction per append, ${durationMs / 1000} s`);
      const seqs = new Array<number>(WRITERS).fill(0);
      const baseline = await runLoad(WRITERS, durationMs, async (w) => {
        const playerId = `tx-${w}`;
        const seq = ++seqs[w]!;
        const rows = [{ playerId, seq, type: event.type, data: event.data, recordedAt: new Date().toISOString() }];
        await cluster.shards[router.shardOf(playerId)]!.transaction(async (tx) => {
          await insertEvents(tx, rows);
          await insertOutbox(tx, rows);
        });
      });
      ctx.progress(`${HOT_WRITERS} writers on one player, ${durationMs / 1000} s`);
      const hot = await runLoad(HOT_WRITERS, durationMs, () => store.append('hot-boss', [event]));
      ctx.progress(`${HOT_WRITERS} writers on ${HOT_WRITERS} players, ${durationMs / 1000} s`);
      const spread = await runLoad(HOT_WRITERS, durationMs, (w) => store.append(`spread-${w}`, [event]));
      await store.close(5000);
      const failed = { ours: ours.errors, baseline: baseline.errors, hot: hot.errors, spread: spread.errors };
      if (Object.values(failed).some((n) => n > 0)) {
        const first = [ours, baseline, hot, spread].find((r) => r.errors > 0)?.firstError;
        throw new Error(`errors: ${JSON.stringify(failed)}; the first: ${first instanceof Error ? first.message : String(first)}`, { cause: first });
      }
      const rows: BenchRow[] = [
        {
          scenario: 'group-commit', metric: 'sync events/s at 64 writers', unit: 'events/s', ours: ours.perSecond, baseline: baseline.perSecond, baselineName: 'tx per append', better: 'higher',
          target: '≥ 4× tx per append', met: ours.perSecond >= 4 * baseline.perSecond,
        },
        {
          scenario: 'group-commit', metric: 'p50 append latency', unit: 'ms', ours: ours.p50, baseline: baseline.p50, baselineName: 'tx per append', better: 'lower',
          note: 'a commit waits up to groupCommitMaxDelayMs (5 ms) for company, less once the writers of the last commit are back',
        },
        { scenario: 'group-commit', metric: 'p99 append latency', unit: 'ms', ours: ours.p99, baseline: baseline.p99, baselineName: 'tx per append', better: 'lower', target: '≤ 20 ms', met: ours.p99 <= 20 },
        {
          scenario: 'group-commit', metric: `sync appends/s, ${HOT_WRITERS} writers on one player`, unit: 'appends/s', ours: hot.perSecond, baseline: spread.perSecond,
          baselineName: `${HOT_WRITERS} players`, better: 'higher', target: '≥ 0.8× spread', met: hot.perSecond >= 0.8 * spread.perSecond,
          note: `library (PlayerStore), PostgreSQL; one player's appends are applied on its uncommitted state and share a commit; p50 ${hot.p50.toFixed(1)} ms vs ${spread.p50.toFixed(1)} ms`,
        },
      ];
      return rows;
    } finally {
      await cluster.close();
      await dbs.drop();
    }
  },
};
