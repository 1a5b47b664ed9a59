// The embedded sorted sets (a B+tree with counts in the process, what `npm start` uses without Redis) against
// the Redis adapter, through the same port: memory per 1,000,000 entries, and submissions and rank lookups per second
// on a set of that size (quick: 100,000, memory scaled to 1,000,000).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { MemorySortedSets } from '../../src/backends/memory/index.js';
import { RedisSortedSets } from '../../src/backends/redis/index.js';
import type { SortedSetStore } from '../../src/backends/sorted-set-port.js';
import { deleteKeysWithPrefix } from '../../test/helpers/redis.js';
import { runLoad, type BenchRow, type LoadResult, type Scenario } from '../harness.js';
import { assertNoErrors, benchEntries, benchPrefix, count, REDIS_URL, seededRandom } from '../lb-support.js';

const SCENARIO = 'lb-embedded';
const SET = 'bench';
const CONCURRENCY = 64;
const MIB = 2 ** 20;

interface ChildMemory {
  entries: number;
  /** V8 heap plus ArrayBuffers, after minus before loading. */
  heapBytes: number;
  /** The same after every player moved once more to a random score. */
  churnedHeapBytes: number;
  rssBytes: number;
}

/** The heap of an embedded set of `n` entries, measured in a fresh process (node --expose-gc, gc before and after). */
function embeddedMemory(n: number): Promise<ChildMemory> {
  const script = fileURLToPath(new URL('../lb-embedded-memory.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--import', 'tsx', script, String(n)], { timeout: 600_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`memory probe failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as ChildMemory);
      } catch (e) {
        reject(new Error(`memory probe printed no figures: ${stdout}`, { cause: e }));
      }
    });
  });
}

function infoField(info: string, name: string): number {
  return Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
}

/** MEMORY USAGE (every element counted: SAMPLES 0) of every key under the prefix. */
async function keysMemory(client: Redis, prefix: string): Promise<{ bytes: number; keys: number }> {
  let cursor = '0';
  let bytes = 0;
  let keys = 0;
  do {
    const [next, found] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of found) {
      bytes += Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
      keys++;
    }
  } while (cursor !== '0');
  return { bytes, keys };
}

export const lbEmbeddedScenario: Scenario = {
  name: SCENARIO,
  title: 'embedded sorted sets vs Redis through the same port: memory per 1,000,000 entries, ops/s',
  async run(ctx) {
    const n = ctx.quick ? 100_000 : 1_000_000;
    const durationMs = ctx.quick ? 1500 : 10_000;
    const prefix = benchPrefix(SCENARIO);
    const client = new Redis(REDIS_URL, { lazyConnect: true });
    try {
      await client.connect();
      ctx.progress(`embedded: heap of ${count(n)} entries, in a child process with --expose-gc`);
      const embedded = await embeddedMemory(n);
      if (embedded.entries !== n) throw new Error('memory probe measured another size');

      ctx.progress(`Redis: loading ${count(n)} entries through the adapter's restore`);
      const redis = new RedisSortedSets(client, { keyPrefix: prefix });
      const usedBefore = infoField(await client.info('memory'), 'used_memory');
      const at0 = Date.now() * 1000;
      await redis.restore(SET, async () => benchEntries(n, at0), { force: true });
      const usedAfter = infoField(await client.info('memory'), 'used_memory');
      const inRedis = await keysMemory(client, prefix);

      ctx.progress(`embedded: loading ${count(n)} entries in this process for the throughput runs`);
      const memory = new MemorySortedSets();
      await memory.restore(SET, async () => benchEntries(n, at0), { force: true });

      const random = seededRandom(3);
      const ops = 1 << 20;
      const pickPlayer = Int32Array.from({ length: ops }, () => Math.floor(random() * n));
      const pickScore = Float64Array.from({ length: ops }, () => -Math.floor(random() * 1_000_003));
      let at = Date.now() * 1000 + n;
      const submit = (store: SortedSetStore) => (k: number) => store.submit(SET, `p${pickPlayer[k % ops]}`, { op: 'min', value: pickScore[k % ops] as number, at: at++ });
      const find = (store: SortedSetStore) => async (k: number) => {
        if (!(await store.find(SET, `p${pickPlayer[k % ops]}`))) throw new Error('player missing from the set');
      };
      const measure = async (what: string, op: (k: number) => Promise<unknown>): Promise<LoadResult> => {
        ctx.progress(`${what}: ${CONCURRENCY} concurrent for ${durationMs / 1000} s`);
        await runLoad(CONCURRENCY, Math.min(1000, durationMs / 5), (_w, _i, k) => op(k + ops / 2));
        const r = await runLoad(CONCURRENCY, durationMs, (_w, _i, k) => op(k));
        assertNoErrors(what, r);
        ctx.progress(`${what}: ${count(Math.round(r.perSecond))}/s, p99 ${r.p99.toFixed(3)} ms`);
        return r;
      };
      const memSubmit = await measure('embedded submit', submit(memory));
      const redisSubmit = await measure('Redis submit', submit(redis));
      // The structure without the harness: one caller awaiting each call in a loop (no latency bookkeeping).
      const tight = async (op: (k: number) => Promise<unknown>): Promise<number> => {
        const t0 = performance.now();
        let k = 0;
        while (performance.now() - t0 < Math.min(1000, durationMs / 5)) for (let j = 0; j < 1000; j++) await op(k++);
        return k / ((performance.now() - t0) / 1000);
      };
      const memSubmitTight = await tight(submit(memory));
      const memFind = await measure('embedded rank lookup (find)', find(memory));
      const memFindTight = await tight(find(memory));
      const redisFind = await measure('Redis rank lookup (find)', find(redis));

      const perMillion = (bytes: number) => (bytes / n) * 1_000_000 / MIB;
      const scaled = ctx.quick ? `, measured at ${count(n)} entries and scaled to 1,000,000` : '';
      const size = count(n);
      return [
        {
          scenario: SCENARIO, metric: 'memory per 1,000,000 entries', unit: 'MiB', ours: perMillion(embedded.heapBytes), baseline: perMillion(inRedis.bytes), baselineName: 'Redis', better: 'lower',
          note: `embedded: V8 heapUsed plus ArrayBuffers after minus before loading the set (player ids included), in a fresh node --expose-gc process with two gc() each side (RSS grew ${(embedded.rssBytes / MIB).toFixed(0)} MiB; ` +
            `after ${count(n)} more submissions moving random players to random scores: ${perMillion(embedded.churnedHeapBytes).toFixed(1)} MiB per 1,000,000); ` +
            `Redis: MEMORY USAGE … SAMPLES 0 summed over the set's ${inRedis.keys} keys (sorted set of <time>:<player> members + player→member hash + marker); INFO used_memory grew ${((usedAfter - usedBefore) / MIB).toFixed(0)} MiB (shared server, indicative)${scaled}`,
        },
        {
          scenario: SCENARIO, metric: `submits/s through the port (${size} entries)`, unit: 'ops/s', ours: memSubmit.perSecond, baseline: redisSubmit.perSecond, baselineName: 'Redis', better: 'higher',
          note: `op min on existing players, ${CONCURRENCY} concurrent through the same harness (embedded, one caller awaiting each call in a bare loop without the harness's bookkeeping: ${count(Math.round(memSubmitTight))}/s); the embedded store runs on this process's thread, Redis one Lua script per call on one connection`,
        },
        {
          scenario: SCENARIO, metric: `rank lookups/s through the port (${size} entries)`, unit: 'ops/s', ours: memFind.perSecond, baseline: redisFind.perSecond, baselineName: 'Redis', better: 'higher',
          note: `find (entry and 0-based position) of random players; embedded in a bare loop without the harness: ${count(Math.round(memFindTight))}/s`,
        },
      ] satisfies BenchRow[];
    } finally {
      await deleteKeysWithPrefix(client, prefix).catch(() => {});
      client.disconnect();
    }
  },
};
