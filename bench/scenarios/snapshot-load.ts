// Loading a player with a long history: latest snapshot + delta against replaying every event.
import { PgCluster, migrateCluster } from '../../src/backends/postgres/index.js';
import { readEvents } from '../../src/events/event-log.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { loadPlayers, PlayerStore, replay, type PlayerEvent, type PlayerState } from '../../src/players/index.js';
import { DEFAULT_ENGINE_OPTIONS } from '../../src/settings.js';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { createDatabases } from '../../test/helpers/backends.js';
import { timeIt, type BenchRow, type Scenario } from '../harness.js';

export const snapshotScenario: Scenario = {
  name: 'snapshot-load',
  title: 'load a player with 10,000 events: snapshot + delta vs full replay',
  async run(ctx) {
    const history = ctx.quick ? 2000 : 10_000;
    const loads = ctx.quick ? 5 : 20;
    const dbs = await createDatabases(1);
    const cluster = new PgCluster(dbs.urls);
    try {
      await migrateCluster(cluster);
      const router = new ShardRouter(SlotMap.even(1));
      // No players row (write-behind never flushes here), so the base is the snapshot.
      const store = new PlayerStore(cluster, router, { ...DEFAULT_ENGINE_OPTIONS, writeBehindIntervalMs: 3_600_000 }, new Metrics(), silentLogger);
      const id = 'veteran';
      ctx.progress(`writing ${history.toLocaleString()} events`);
      const mix: PlayerEvent[] = [
        { type: 'stat.add', data: { stat: 'xp', amount: 7 } },
        { type: 'item.grant', data: { item: 'arrow', qty: 3 } },
        { type: 'item.consume', data: { item: 'arrow', qty: 1 } },
        { type: 'data.set', data: { key: 'pos', value: { x: 1, y: 2, zone: 'north' } } },
        { type: 'stat.max', data: { stat: 'best', value: 99 } },
      ];
      for (let i = 0; i < history; i += 100) await store.append(id, Array.from({ length: 100 }, (_, k) => mix[(i + k) % mix.length] as PlayerEvent));
      await store.close(10_000);
      const db = cluster.shards[0]!;
      await db.query('DELETE FROM players');

      let ours = 0;
      let source = '';
      let oursState: PlayerState | undefined;
      for (let i = 0; i < loads; i++) {
        const r = await timeIt(() => loadPlayers(db, [id]));
        ours += r.ms;
        source = r.value.get(id)?.source ?? 'none';
        oursState = r.value.get(id)?.state;
      }
      let base = 0;
      let replayed: PlayerState | null = null;
      for (let i = 0; i < loads; i++) {
        const r = await timeIt(async () => replay(null, id, await readEvents(db, id, 0, history)));
        base += r.ms;
        replayed = r.value;
      }
      if (JSON.stringify(replayed) !== JSON.stringify(oursState)) throw new Error('snapshot load and replay disagree');
      const rows: BenchRow[] = [
        {
          scenario: 'snapshot-load', metric: `load a player with ${history.toLocaleString()} events`, unit: 'ms', ours: ours / loads, baseline: base / loads,
          baselineName: 'full replay', better: 'lower', note: `loaded from: ${source} (snapshot every ${DEFAULT_ENGINE_OPTIONS.snapshotEvery} events)`,
        },
      ];
      return rows;
    } finally {
      await cluster.close();
      await dbs.drop();
    }
  },
};
