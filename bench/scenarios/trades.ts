// Trades on 4 PostgreSQL shards through the library: pairs of players on the same shard and on two shards, against
// the naive transfer a trade replaces, two plain appends (a debit on one player, a credit on the other, in
// parallel), which a crash between them turns into a duplication or a loss. Same run, same players, same shards.
import { startTestRealm } from '../../test/helpers/realm.js';
import { runLoad, type BenchRow, type Scenario } from '../harness.js';

export const tradesScenario: Scenario = {
  name: 'trades',
  title: 'trades/s and p99 on 4 shards (same shard vs across shards) against two plain appends per trade',
  async run(ctx) {
    const seconds = ctx.quick ? 2 : 20;
    const concurrency = 16;
    const t = await startTestRealm('postgres', { shards: 4 });
    try {
      const { realm } = t;
      ctx.progress('creating players');
      const byShard = new Map<number, string[]>();
      for (let i = 0; byShard.size < 4 || [...byShard.values()].some((l) => l.length < 40); i++) {
        const id = `bench-trader-${i}`;
        const shard = realm.router.shardOf(id);
        const list = byShard.get(shard) ?? [];
        if (list.length >= 40) continue;
        list.push(id);
        byShard.set(shard, list);
      }
      const all = [...byShard.values()].flat();
      await runLoad(16, 600_000, (_w, _i, n) => realm.players.append(all[n] as string, [
        { type: 'item.grant', data: { item: 'ore', qty: 1_000_000 } },
        { type: 'stat.add', data: { stat: 'gold', amount: 1_000_000_000 } },
      ]), { maxOps: all.length });
      // Each worker trades within its own pair of players, so pairs do not queue behind each other.
      const pairs = (cross: boolean): Array<[string, string]> =>
        Array.from({ length: concurrency }, (_, w) => {
          const s = w % 4;
          const first = byShard.get(s) as string[];
          const second = byShard.get(cross ? (s + 1) % 4 : s) as string[];
          return [first[w] as string, second[20 + w] as string];
        });
      const rows: BenchRow[] = [];
      let tradeNo = 0;
      for (const cross of [false, true]) {
        const label = cross ? 'across shards' : 'same shard';
        const p = pairs(cross);
        ctx.progress(`trades, ${label}`);
        const trades = await runLoad(concurrency, seconds * 1000, (w) => {
          const [a, b] = p[w] as [string, string];
          return realm.trades.trade({ tradeId: `bench-${++tradeNo}`, a: { playerId: a, gives: { items: { ore: 1 } } }, b: { playerId: b, gives: { stats: { gold: 10 } } } });
        });
        ctx.progress(`two plain appends, ${label}`);
        const plain = await runLoad(concurrency, seconds * 1000, (w) => {
          const [a, b] = p[w] as [string, string];
          return Promise.all([
            realm.players.append(a, [{ type: 'item.consume', data: { item: 'ore', qty: 1 } }]),
            realm.players.append(b, [{ type: 'item.grant', data: { item: 'ore', qty: 1 } }]),
          ]);
        });
        if (trades.errors || plain.errors) throw new Error(`errors: ${trades.errors} trades, ${plain.errors} appends: ${String(trades.firstError ?? plain.firstError)}`);
        rows.push(
          { scenario: 'trades', metric: `trades/s, ${label}`, unit: '/s', ours: trades.perSecond, baseline: plain.perSecond, baselineName: 'two plain appends', better: 'higher', note: cross ? undefined : 'a trade is 4 appends (hold and settle on each side) plus 3 statements on its record, against 2 appends: atomicity and exactly-once cost about that ratio' },
          { scenario: 'trades', metric: `p99, ${label}`, unit: 'ms', ours: trades.p99, baseline: plain.p99, baselineName: 'two plain appends', better: 'lower' },
        );
      }
      return rows;
    } finally {
      await t.close();
    }
  },
};
