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
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  let started = 0;
  const deadline = performance.now() + durationMs;
  const t0 = performance.now();
  let lastReport = t0;
  const worker = async (w: number) => {
    for (let i = 0; performance.now() < deadline && (options.maxOps === undefined || started < options.maxOps); i++) {
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
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    p999: percentile(latencies, 99.9),
    errors,
    firstError,
  };
}

/** Times `fn` once, in milliseconds. */
export async function timeIt<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const s = performance.now();
  const value = await fn();
  return { ms: performance.now() - s, value };
}
