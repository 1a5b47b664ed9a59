// The cost of anti-cheat on the write path: appends and score submissions through the library (PostgreSQL shards +
// Redis, rate windows in Redis) with no rule, then with 10 rules active (hot reloaded into the same realm), same run.
// Rounds alternate the two rule sets so a busy machine's drift falls on both alike.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/log.js';
import { createRealm } from '../../src/realm.js';
import { loadSettings } from '../../src/settings.js';
import { createDatabases } from '../../test/helpers/backends.js';
import { deleteKeys, REDIS_TEST_URL } from '../../test/helpers/redis.js';
import { runLoad, type BenchRow, type LoadResult, type Scenario } from '../harness.js';
import { seededRandom } from '../lb-support.js';

const SCENARIO = 'anticheat';
const CONCURRENCY = 64;
const BOARD = 'bench-ac';

// Ten rules that all look at the measured writes and never fire: the cost of checking, not of flagging.
const TEN_RULES = `
    - { name: xp-rate, kind: statRate, stat: xp, maxIncrease: 1000000000000, perSeconds: 60, action: reject }
    - { name: xp-hour, kind: statRate, stat: xp, maxIncrease: 1000000000000, perSeconds: 3600, action: flag }
    - { name: adds-rate, kind: eventRate, type: stat.add, max: 1000000000, perSeconds: 60, action: reject }
    - { name: adds-hour, kind: eventRate, type: stat.add, max: 1000000000, perSeconds: 3600, action: flag }
    - { name: cap, kind: scoreMax, board: ${BOARD}, max: 1000000000000, action: reject }
    - { name: floor, kind: scoreMin, board: ${BOARD}, min: -1, action: reject }
    - { name: soft-cap, kind: scoreMax, board: ${BOARD}, max: 1000000000000, action: quarantine }
    - { name: jump, kind: scoreJump, board: ${BOARD}, factor: 1000000, action: flag }
    - { name: outlier, kind: scoreOutlier, board: ${BOARD}, zScore: 1000, minSamples: 10, action: quarantine }
    - { name: cap-flag, kind: scoreMax, board: ${BOARD}, max: 1000000000000, action: flag }`;

function configText(version: number, rules: boolean): string {
  return [
    `version: ${version}`,
    'leaderboards:',
    `  - { id: ${BOARD}, order: desc, operator: best }`,
    'anticheat:',
    rules ? `  rules:${TEN_RULES}` : '  rules: []',
    '',
  ].join('\n');
}

export const anticheatScenario: Scenario = {
  name: SCENARIO,
  title: 'anti-cheat: append and score-submission throughput with 0 and with 10 rules active',
  async run(ctx) {
    const durationMs = ctx.quick ? 1000 : 5000;
    const rounds = ctx.quick ? 2 : 3;
    const players = 10_000;
    const random = seededRandom(18);
    const ops = 1 << 16;
    const pickPlayer = Int32Array.from({ length: ops }, () => Math.floor(random() * players));
    const pickScore = Float64Array.from({ length: ops }, () => 1000 + Math.floor(random() * 1000));
    const dbs = await createDatabases(4);
    const prefix = `bench-${SCENARIO}-${randomUUID()}:`;
    const dir = mkdtempSync(join(tmpdir(), `rs-bench-${SCENARIO}-`));
    const file = join(dir, 'game.yaml');
    writeFileSync(file, configText(1, false));
    let version = 1;
    const realm = await createRealm({
      settings: loadSettings({
        DATABASE_URLS: dbs.urls.join(','), REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix, REALMSTATE_DATA_DIR: dir, REALMSTATE_CONFIG: file,
        REALMSTATE_API_KEY: 'bench-game-key-0123456789', REALMSTATE_ADMIN_KEY: 'bench-admin-key-0123456789', LOG_LEVEL: 'silent',
      }),
      logger: silentLogger,
      processMetrics: false,
    });
    const useRules = async (on: boolean) => {
      writeFileSync(file, configText(++version, on));
      await realm.config.reload();
      if (realm.config.current.config.anticheat.rules.length !== (on ? 10 : 0)) throw new Error('the rules did not reload');
    };
    // Each writer has its own players (appends of one player are serialized; that is not what is measured).
    const append = (w: number, i: number) => realm.players.append(`ac-${w}-${i % 50}`, [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }]);
    const submit = (n: number) => realm.leaderboards.submit(BOARD, { playerId: `s${pickPlayer[n % ops] as number}`, score: pickScore[n % ops] as number });
    const measure = async (what: string, op: (w: number, i: number, n: number) => Promise<unknown>): Promise<LoadResult> => {
      const result = await runLoad(CONCURRENCY, durationMs, op);
      if (result.errors > 0) throw new Error(`${what}: ${result.errors} errors, first: ${String(result.firstError)}`);
      ctx.progress(`${what}: ${Math.round(result.perSecond)}/s, p99 ${result.p99.toFixed(2)} ms`);
      return result;
    };
    const sum = { a0: 0, a10: 0, s0: 0, s10: 0 };
    try {
      // Warm up both paths (player loads, board creation, Lua script loading).
      await runLoad(CONCURRENCY, 300, (w, i) => append(w, i));
      await runLoad(CONCURRENCY, 300, (_w, _i, n) => submit(n + ops / 2));
      for (let r = 0; r < rounds; r++) {
        for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
          await useRules(on);
          const a = await measure(`appends, ${on ? 10 : 0} rules`, (w, i) => append(w, i));
          const s = await measure(`submits, ${on ? 10 : 0} rules`, (_w, _i, n) => submit(n));
          sum[on ? 'a10' : 'a0'] += a.perSecond;
          sum[on ? 's10' : 's0'] += s.perSecond;
        }
      }
      const flags = await realm.anticheat.listFlags({ limit: 1 });
      if (flags.length > 0) throw new Error('a rule fired during the benchmark; the rules are meant to be checked, not to fire');
    } finally {
      await realm.close();
      await deleteKeys(prefix);
      await dbs.drop();
      rmSync(dir, { recursive: true, force: true });
    }
    const avg = (x: number) => x / rounds;
    const rows: BenchRow[] = [
      {
        scenario: SCENARIO, metric: `sync appends/s, 10 rules (${CONCURRENCY} conc.)`, unit: 'events/s', ours: avg(sum.a10), baseline: avg(sum.a0), baselineName: 'no rule',
        better: 'higher', target: '≥ 0.9× no rule', met: sum.a10 >= 0.9 * sum.a0,
        note: 'each append meets 4 rate rules (2 statRate, 2 eventRate), their windows checked and added in Redis in one round trip, inside the player lock before the group commit',
      },
      {
        scenario: SCENARIO, metric: `score submits/s, 10 rules (${CONCURRENCY} conc.)`, unit: 'ops/s', ours: avg(sum.s10), baseline: avg(sum.s0), baselineName: 'no rule', better: 'higher',
        note: "each submission meets 6 board rules; scoreJump and scoreOutlier read the player's current score first (one more Redis call), the outlier population is kept in memory",
      },
    ];
    return rows;
  },
};
