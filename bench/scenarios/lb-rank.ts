// A player's rank on a board of 1,000,000 players (quick: 100,000): the library on Redis (a Lua script: HGET,
// ZSCORE, ZRANK, O(log N)) against the SQL way, `1 + COUNT(*)` of better scores over an index on the score, which
// reads every index entry ahead of the player (O(N)). The seed chapter's claim, measured on the same data.
import pg from 'pg';
import type { ScoreRow } from '../../src/leaderboards/score-rows.js';
import { runLoad, type BenchRow, type LoadResult, type Scenario } from '../harness.js';
import { assertNoErrors, count, loadBoard, openBenchRealm, seededRandom } from '../lb-support.js';

const SCENARIO = 'lb-rank';
const BOARD = 'bench-rank';
const CONCURRENCY = 8;
/** A prime above any player count used here: score = i·7919 mod P gives every player a distinct score. */
const SCORE_PRIME = 1_000_003;

const RANK_SQL = 'SELECT 1 + COUNT(*) AS rank FROM bench_rank_scores WHERE score > (SELECT score FROM bench_rank_scores WHERE player_id = $1)';

export const lbRankScenario: Scenario = {
  name: SCENARIO,
  title: 'rank lookup at 1,000,000 players: Redis (library) vs SQL COUNT(*) with an index',
  async run(ctx) {
    const players = ctx.quick ? 100_000 : 1_000_000;
    const durationMs = ctx.quick ? 1500 : 10_000;
    const bench = await openBenchRealm(SCENARIO, 1);
    const pool = new pg.Pool({ connectionString: bench.databaseUrls[0], max: CONCURRENCY });
    try {
      const boards = bench.realm.leaderboards;
      await boards.define(BOARD, { order: 'desc', operator: 'best', reset: 'never' });
      // Distinct scores, so "1 + the number of better scores" is the exact rank on both sides (no tie rule to differ on).
      const at0 = Date.now() * 1000;
      const rows: ScoreRow[] = Array.from({ length: players }, (_, i) => ({ board: BOARD, season: 'all', playerId: `p${i}`, region: null, score: (i * 7919) % SCORE_PRIME, at: at0 + i }));
      ctx.progress(`loading ${count(players)} players`);
      const rebuildMs = await loadBoard(bench.realm, BOARD, rows, ctx.progress);
      rows.length = 0;

      ctx.progress('SQL baseline: a two-column table with an index on the score, filled from the same rows');
      await pool.query('CREATE TABLE bench_rank_scores (player_id text PRIMARY KEY, score bigint NOT NULL)');
      await pool.query('INSERT INTO bench_rank_scores (player_id, score) SELECT player_id, score FROM leaderboard_scores WHERE board = $1', [BOARD]);
      await pool.query('CREATE INDEX bench_rank_scores_score ON bench_rank_scores (score)');
      // Sets the visibility map, so the count is an index-only scan: the SQL side at its best.
      await pool.query('VACUUM ANALYZE bench_rank_scores');

      const random = seededRandom(11);
      const pick = () => `p${Math.floor(random() * players)}`;
      for (let k = 0; k < 20; k++) {
        const id = pick();
        const [ours, sql] = await Promise.all([boards.player(BOARD, id), pool.query<{ rank: string }>(RANK_SQL, [id])]);
        if (ours.rank !== Number(sql.rows[0]?.rank)) throw new Error(`rank of ${id}: library ${ours.rank}, SQL ${sql.rows[0]?.rank}: the two sides do not hold the same board`);
      }
      const mid = `p${Math.floor(players / 2)}`;
      const plan = (await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${RANK_SQL.replace('$1', `'${mid}'`)}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      const scan = /Index Only Scan/.test(plan) ? 'index-only scan' : /Index Scan/.test(plan) ? 'index scan' : 'no index scan';
      const heapFetches = /Heap Fetches: (\d+)/.exec(plan)?.[1] ?? '?';

      const measure = async (what: string, op: () => Promise<unknown>): Promise<LoadResult> => {
        ctx.progress(`${what}: ${CONCURRENCY} concurrent for ${durationMs / 1000} s`);
        await runLoad(CONCURRENCY, Math.min(1000, durationMs / 5), op);
        const r = await runLoad(CONCURRENCY, durationMs, op);
        assertNoErrors(what, r);
        ctx.progress(`${what}: ${count(Math.round(r.perSecond))}/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
        return r;
      };
      const redis = await measure('library rank (Redis)', () => boards.player(BOARD, pick()));
      const sql = await measure('SQL 1 + COUNT(*) of better scores', () => pool.query(RANK_SQL, [pick()]));

      const n = count(players);
      const base = 'SQL COUNT(*)';
      return [
        {
          scenario: SCENARIO, metric: `rank lookups/s at ${n} players`, unit: 'ops/s', ours: redis.perSecond, baseline: sql.perSecond, baselineName: base, better: 'higher',
          note: `${CONCURRENCY} concurrent, players picked uniformly; same ranks checked on 20 players first. SQL: ${scan} on (score), ${heapFetches} heap fetches, after VACUUM ANALYZE. The Redis board was loaded by the library's rebuild from PostgreSQL in ${(rebuildMs / 1000).toFixed(1)} s`,
        },
        { scenario: SCENARIO, metric: `rank lookup p50 at ${n}`, unit: 'ms', ours: redis.p50, baseline: sql.p50, baselineName: base, better: 'lower' },
        { scenario: SCENARIO, metric: `rank lookup p99 at ${n}`, unit: 'ms', ours: redis.p99, baseline: sql.p99, baselineName: base, better: 'lower' },
      ] satisfies BenchRow[];
    } finally {
      await pool.end();
      await bench.cleanup();
    }
  },
};
