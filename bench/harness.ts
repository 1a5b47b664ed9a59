// The benchmark harness: scenarios measure Realmstate and a baseline in the same run and report rows of a table.
import { performance } from 'node:perf_hooks';

export interface BenchContext {
  /** Small sizes, for CI: every scenario together must stay under two minutes. */
  quick: boolean;
  /** Prints a progress line (to stderr, so the table on stdout stays clean). */
  progress: (message: string) => void;
}

export interface BenchRow {
  scenario: string;
  metric: string;
  unit: string;
  ours: number;
  baseline: number;
  /** What the baseline is, e.g. "write-through". */
  baselineName: string;
  /** Whether a higher figure is better (throughput) or a lower one (latency, statements). */
  better: 'higher' | 'lower';
  /** The target this figure should meet, as text (e.g. "≥ 0.8× raw"), and whether it did. */
  target?: string;
  met?: boolean;
  note?: string;
}

export interface Scenario {
  name: string;
  title: string;
  run: (ctx: BenchContext) => Promise<BenchRow[]>;
}

/** ours / baseline for "higher is better", baseline / ours for "lower is better": above 1 means we are ahead. */
export function advantage(row: BenchRow): number {
  if (row.better === 'higher') return row.baseline === 0 ? Infinity : row.ours / row.baseline;
  return row.ours === 0 ? Infinity : row.baseline / row.ours;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export interface LoadResult {
  ops: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  /** The first error, to explain a failed run. */
  firstError?: unknown;
}

/** What one timed run gathered: its latencies (unsorted, ms) and errors. */
interface RawLoad {
  latencies: number[];
  seconds: number;
  errors: number;
  firstError?: unknown;
}

async function loadOnce(
  concurrency: number,
  durationMs: number,
  op: (worker: number, i: number, n: number) => Promise<unknown>,
  options: { maxOps?: number; onProgress?: (done: number) => void; firstOp?: number } = {},
): Promise<RawLoad> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  let started = options.firstOp ?? 0;
  const last = options.maxOps === undefined ? Infinity : started + options.maxOps;
  const deadline = performance.now() + durationMs;
  const t0 = performance.now();
  let lastReport = t0;
  const worker = async (w: number) => {
    for (let i = 0; performance.now() < deadline && started < last; i++) {
      const n = started++;
      const s = performance.now();
      try {
        await op(w, i, n);
        latencies.push(performance.now() - s);
      } catch (err) {
        errors++;
        firstError ??= err;
      }
      if (options.onProgress && performance.now() - lastReport > 1000) {
        lastReport = performance.now();
        options.onProgress(latencies.length);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { latencies, seconds: (performance.now() - t0) / 1000, errors, firstError };
}

function summarise(raw: RawLoad): LoadResult {
  const latencies = raw.latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    seconds: raw.seconds,
    perSecond: latencies.length / raw.seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    p999: percentile(latencies, 99.9),
    errors: raw.errors,
    firstError: raw.firstError,
  };
}

/**
 * Runs `op` from `concurrency` workers for `durationMs` (or until `maxOps`) and reports throughput and latency in ms.
 * `op(worker, i, n)` gets the worker index, the worker's own counter and the global operation number.
 */
export async function runLoad(
  concurrency: number,
  durationMs: number,
  op: (worker: number, i: number, n: number) => Promise<unknown>,
  options: { maxOps?: number; onProgress?: (done: number) => void } = {},
): Promise<LoadResult> {
  return summarise(await loadOnce(concurrency, durationMs, op, options));
}

export interface Contender {
  name: string;
  /** One operation; `n` counts this contender's operations over all its rounds. */
  op: (n: number) => Promise<unknown>;
}

export interface InterleavedResult extends LoadResult {
  /** Throughput of each round, in round order. */
  rounds: number[];
}

/**
 * Measures several contenders in turns: `rounds` rounds of `roundMs` each, every contender once per round (the order
 * rotating from round to round), after a warm-up of each. On a machine shared with other work the load changes from
 * one second to the next; a ratio of two contenders measured in alternating short turns is far steadier than one of
 * two long runs one after the other, since both meet the same quiet and busy moments.
 */
export async function runInterleaved(
  contenders: readonly Contender[],
  options: {
    concurrency: number;
    rounds: number;
    roundMs: number;
    warmupMs: number;
    progress?: (message: string) => void;
    /** Wraps each timed turn (e.g. to add up the CPU a contender used). */
    around?: (name: string, turn: () => Promise<void>) => Promise<void>;
  },
): Promise<Map<string, InterleavedResult>> {
  const around = options.around ?? ((_name: string, turn: () => Promise<void>) => turn());
  const gathered = contenders.map(() => ({ latencies: [] as number[], seconds: 0, errors: 0, firstError: undefined as unknown, rounds: [] as number[], next: 0 }));
  for (const c of contenders) await loadOnce(options.concurrency, options.warmupMs, (_w, _i, n) => c.op(n + 1_000_000_007));
  for (let r = 0; r < options.rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const index = (k + r) % contenders.length;
      const c = contenders[index] as Contender;
      const g = gathered[index] as (typeof gathered)[number];
      let raw!: RawLoad;
      await around(c.name, async () => {
        raw = await loadOnce(options.concurrency, options.roundMs, (_w, _i, n) => c.op(n), { firstOp: g.next });
      });
      g.next += raw.latencies.length + raw.errors;
      for (const l of raw.latencies) g.latencies.push(l);
      g.seconds += raw.seconds;
      g.errors += raw.errors;
      g.firstError ??= raw.firstError;
      g.rounds.push(raw.latencies.length / raw.seconds);
    }
    options.progress?.(`round ${r + 1}/${options.rounds}: ${contenders.map((c, i) => `${c.name} ${Math.round((gathered[i] as (typeof gathered)[number]).rounds.at(-1) ?? 0).toLocaleString('en-US')}/s`).join(', ')}`);
  }
  return new Map(contenders.map((c, i) => {
    const g = gathered[i] as (typeof gathered)[number];
    return [c.name, { ...summarise(g), rounds: g.rounds }];
  }));
}

/** Times `fn` once, in milliseconds. */
export async function timeIt<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const s = performance.now();
  const value = await fn();
  return { ms: performance.now() - s, value };
}
