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
import { redisCpuSeconds, seededRandom } from '../lb-support.js';

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
    // An even number of rounds: each rule set is measured first in half of them.
    const rounds = ctx.quick ? 2 : 4;
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
    // CPU per operation (this process; Redis's, a shared server, as an indication): unlike throughput, it hardly moves
    // with what the other tenants of the machine are doing.
    const cpu = { a0: { client: 0, redis: 0, ops: 0 }, a10: { client: 0, redis: 0, ops: 0 } };
    const measure = async (what: string, op: (w: number, i: number, n: number) => Promise<unknown>, cost?: { client: number; redis: number; ops: number }): Promise<LoadResult> => {
      const r0 = await redisCpuSeconds(realm.redis as NonNullable<typeof realm.redis>);
      const c0 = process.cpuUsage();
      const result = await runLoad(CONCURRENCY, durationMs, op);
      const c = process.cpuUsage(c0);
      const r1 = await redisCpuSeconds(realm.redis as NonNullable<typeof realm.redis>);
      if (result.errors > 0) throw new Error(`${what}: ${result.errors} errors, first: ${String(result.firstError)}`);
      if (cost) {
        cost.client += c.user + c.system;
        cost.redis += (r1 - r0) * 1e6;
        cost.ops += result.ops;
      }
      ctx.progress(`${what}: ${Math.round(result.perSecond)}/s, p99 ${result.p99.toFixed(2)} ms, ${((c.user + c.system) / Math.max(1, result.ops)).toFixed(0)} µs CPU each`);
      return result;
    };
    const sum = { a0: 0, a10: 0, s0: 0, s10: 0 };
    try {
      // Warm up both paths under both rule sets (player loads, board creation, Lua scripts, the JIT): otherwise the
      // first measured phase, always the same rule set, runs cold.
      const warmMs = ctx.quick ? 300 : 2000;
      for (const on of [true, false]) {
        await useRules(on);
        await runLoad(CONCURRENCY, warmMs, (w, i) => append(w, i));
        await runLoad(CONCURRENCY, warmMs, (_w, _i, n) => submit(n + ops / 2));
        await realm.leaderboards.flushCopies();
      }
      for (let r = 0; r < rounds; r++) {
        for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
          await useRules(on);
          const a = await measure(`appends, ${on ? 10 : 0} rules`, (w, i) => append(w, i), cpu[on ? 'a10' : 'a0']);
          const s = await measure(`submits, ${on ? 10 : 0} rules`, (_w, _i, n) => submit(n));
          // The durable copies of the submissions are written behind; left queued, they would be written during the
          // next phase (always the appends of the other rule set) and weigh on its figures.
          await realm.leaderboards.flushCopies();
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
        note: 'each append meets 4 rate rules (2 statRate, 2 eventRate), their windows checked and added in Redis in one pipeline, inside the player lock before the group commit',
      },
      {
        scenario: SCENARIO, metric: 'CPU of this process per sync append, 10 rules', unit: 'µs', ours: cpu.a10.client / cpu.a10.ops, baseline: cpu.a0.client / cpu.a0.ops, baselineName: 'no rule', better: 'lower',
        note: `user + system CPU of the bench process (realm, pg and Redis clients) over the append runs, divided by the appends; Redis server CPU per append (shared server, indicative): ${(cpu.a10.redis / cpu.a10.ops).toFixed(0)} µs with 10 rules, ${(cpu.a0.redis / cpu.a0.ops).toFixed(0)} µs without`,
      },
      {
        scenario: SCENARIO, metric: `score submits/s, 10 rules (${CONCURRENCY} conc.)`, unit: 'ops/s', ours: avg(sum.s10), baseline: avg(sum.s0), baselineName: 'no rule', better: 'higher',
        note: "each submission meets 6 board rules; scoreJump and scoreOutlier read the player's current score first (one more Redis call), the outlier population is kept in memory",
      },
    ];
    return rows;
  },
};
