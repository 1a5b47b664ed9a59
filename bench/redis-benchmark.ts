// Runs Redis's own `redis-benchmark` (when installed) as a child process and reads its --csv output: the server's
// limit for a command at a given number of connections, with no Node.js client in the way.
import { execFile, execFileSync } from 'node:child_process';

export interface RedisBenchmarkFigures {
  test: string;
  requestsPerSecond: number;
  avgMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** Parses `redis-benchmark --csv` output (a header line, then one quoted line per test); the first test's figures. */
export function parseRedisBenchmarkCsv(text: string): RedisBenchmarkFigures {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith('"'));
  const cells = (line: string) => [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => (m[1] as string).replace(/""/g, '"'));
  const header = lines[0] ? cells(lines[0]) : [];
  const data = lines[1] ? cells(lines[1]) : [];
  const col = (name: string) => {
    const i = header.indexOf(name);
    const value = i >= 0 ? Number(data[i]) : NaN;
    if (!Number.isFinite(value)) throw new Error(`redis-benchmark output has no "${name}" figure:\n${text.slice(0, 500)}`);
    return value;
  };
  return { test: data[0] ?? '', requestsPerSecond: col('rps'), avgMs: col('avg_latency_ms'), p50Ms: col('p50_latency_ms'), p99Ms: col('p99_latency_ms') };
}

/** Whether the binary is on PATH. */
export function hasRedisBenchmark(): boolean {
  try {
    execFileSync('redis-benchmark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface RedisBenchmarkRun {
  url: string;
  /** Parallel connections (-c). */
  clients: number;
  /** Total requests (-n). */
  requests: number;
  /** Range of __rand_int__ (-r). */
  keyspace: number;
  /** The command and its arguments; __rand_int__ is replaced by redis-benchmark. */
  command: string[];
}

export function runRedisBenchmark(run: RedisBenchmarkRun): Promise<RedisBenchmarkFigures> {
  const u = new URL(run.url);
  const args = ['-h', u.hostname, '-p', u.port || '6379', '-c', String(run.clients), '-n', String(run.requests), '-r', String(run.keyspace), '--csv'];
  if (u.pathname.length > 1) args.push('--dbnum', u.pathname.slice(1));
  args.push(...run.command);
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { timeout: 300_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-benchmark failed: ${err.message}\n${stderr}`));
      else {
        try {
          resolve(parseRedisBenchmarkCsv(stdout));
        } catch (e) {
          reject(e);
        }
      }
    });
  });
}
