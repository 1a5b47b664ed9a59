// A regional board (4 regions, one sorted set each) against a single-key board holding the same players, scores
// and times: global top 100 (the regions' best entries, merged) and exact global rank
// (the player's region, then the count of entries ahead in the 3 others). Both answers are checked equal.
// Each regional read and its single-key baseline run in alternating turns (runInterleaved), so a busy moment of the
// shared machine falls on both sides of the ratio.
import type { ScoreRow } from '../../src/leaderboards/score-rows.js';
import { runInterleaved, type BenchRow, type InterleavedResult, type Scenario } from '../harness.js';
import { assertNoErrors, count, loadBoard, openBenchRealm, seededRandom } from '../lb-support.js';

const SCENARIO = 'lb-regions';
const REGIONAL = 'bench-regional';
const SINGLE = 'bench-single';
const REGIONS = ['eu', 'na', 'asia', 'sa'];
const CONCURRENCY = 8;

export const lbRegionsScenario: Scenario = {
  name: SCENARIO,
  title: 'global top 100 and global rank: 4 regions vs one key, same players',
  async run(ctx) {
    const players = ctx.quick ? 50_000 : 1_000_000;
    const durationMs = ctx.quick ? 1500 : 10_000;
    const bench = await openBenchRealm(SCENARIO, 1);
    try {
      const boards = bench.realm.leaderboards;
      await boards.define(REGIONAL, { order: 'desc', operator: 'best', reset: 'never', regions: REGIONS });
      await boards.define(SINGLE, { order: 'desc', operator: 'best', reset: 'never' });
      // Scores drawn from 200,000 values: many ties, which the regional rank must count exactly (by time, then id).
      const random = seededRandom(5);
      const at0 = Date.now() * 1000;
      const regional: ScoreRow[] = [];
      const single: ScoreRow[] = [];
      for (let i = 0; i < players; i++) {
        const score = Math.floor(random() * 200_000);
        const region = REGIONS[Math.floor(random() * REGIONS.length)] as string;
        regional.push({ board: REGIONAL, season: 'all', playerId: `p${i}`, region, score, at: at0 + i });
        single.push({ board: SINGLE, season: 'all', playerId: `p${i}`, region: null, score, at: at0 + i });
      }
      ctx.progress(`loading ${count(players)} players into both boards`);
      await loadBoard(bench.realm, REGIONAL, regional, ctx.progress);
      await loadBoard(bench.realm, SINGLE, single, ctx.progress);
      regional.length = 0;
      single.length = 0;

      const pick = () => `p${Math.floor(random() * players)}`;
      const [topR, topS] = await Promise.all([boards.top(REGIONAL, { limit: 100 }), boards.top(SINGLE, { limit: 100 })]);
      if (JSON.stringify(topR.entries) !== JSON.stringify(topS.entries)) throw new Error('global top 100 of the regional board differs from the single-key board');
      for (let k = 0; k < 20; k++) {
        const id = pick();
        const [r, s] = await Promise.all([boards.player(REGIONAL, id), boards.player(SINGLE, id)]);
        if (r.rank !== s.rank) throw new Error(`global rank of ${id}: ${r.rank} over regions, ${s.rank} on one key`);
      }

      const rounds = ctx.quick ? 2 : 5;
      const roundMs = durationMs / rounds;
      const measure = async (regional: string, regionalOp: () => Promise<unknown>, single: string, singleOp: () => Promise<unknown>): Promise<[InterleavedResult, InterleavedResult]> => {
        ctx.progress(`${regional} | ${single}: ${CONCURRENCY} concurrent, ${rounds} turns of ${roundMs / 1000} s each`);
        const results = await runInterleaved([{ name: regional, op: regionalOp }, { name: single, op: singleOp }], {
          concurrency: CONCURRENCY, rounds, roundMs, warmupMs: Math.min(1000, roundMs), progress: ctx.progress,
        });
        const pair = [results.get(regional), results.get(single)] as [InterleavedResult, InterleavedResult];
        for (const [i, what] of [regional, single].entries()) {
          assertNoErrors(what, pair[i] as InterleavedResult);
          ctx.progress(`${what}: ${count(Math.round((pair[i] as InterleavedResult).perSecond))}/s, p99 ${(pair[i] as InterleavedResult).p99.toFixed(2)} ms`);
        }
        return pair;
      };
      const [topRegional, topSingle] = await measure('global top 100, 4 regions', () => boards.top(REGIONAL, { limit: 100 }), 'top 100, one key', () => boards.top(SINGLE, { limit: 100 }));
      const [rankRegional, rankSingle] = await measure('global rank, 4 regions', () => boards.player(REGIONAL, pick()), 'rank, one key', () => boards.player(SINGLE, pick()));

      const n = count(players);
      const base = 'one key';
      const where = 'all 4 regions on the one Redis of this machine (REDIS_REGION_URLS would put each on its own); answers checked equal to the single key first';
      return [
        {
          scenario: SCENARIO, metric: `global top 100 reads/s (${n} players)`, unit: 'ops/s', ours: topRegional.perSecond, baseline: topSingle.perSecond, baselineName: base, better: 'higher',
          target: '≥ 0.5× one key', met: topRegional.perSecond >= 0.5 * topSingle.perSecond,
          note: `${CONCURRENCY} concurrent, ${rounds} alternating turns; one script reads each region's best entries in chunks until they provably hold the top 100 (about 4 × 32), the server merges them; ${where}`,
        },
        { scenario: SCENARIO, metric: 'global top 100 p99', unit: 'ms', ours: topRegional.p99, baseline: topSingle.p99, baselineName: base, better: 'lower' },
        {
          scenario: SCENARIO, metric: `global rank reads/s (${n} players)`, unit: 'ops/s', ours: rankRegional.perSecond, baseline: rankSingle.perSecond, baselineName: base, better: 'higher',
          target: '≥ 0.5× one key', met: rankRegional.perSecond >= 0.5 * rankSingle.perSecond,
          note: `${CONCURRENCY} concurrent, ${rounds} alternating turns; one script finds the player's region (4 HGETs) and counts the entries ahead of it in the other 3 (ZCOUNT, then its ties: exact); one key: 1 script`,
        },
        { scenario: SCENARIO, metric: 'global rank p99', unit: 'ms', ours: rankRegional.p99, baseline: rankSingle.p99, baselineName: base, better: 'lower' },
      ] satisfies BenchRow[];
    } finally {
      await bench.cleanup();
    }
  },
};
