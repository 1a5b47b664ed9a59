// The bench reads redis-benchmark's --csv output; its parser must pick the right columns and refuse what it cannot read.
import { describe, expect, it } from 'vitest';
import { parseRedisBenchmarkCsv } from '../../bench/redis-benchmark.js';

const OUTPUT = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"ZADD bench-x:z __rand_int__ m:__rand_int__","76923.08","0.477","0.112","0.383","0.615","1.215","20.479"
`;

describe('parseRedisBenchmarkCsv', () => {
  it('reads the first test line by column name', () => {
    expect(parseRedisBenchmarkCsv(OUTPUT)).toEqual({ test: 'ZADD bench-x:z __rand_int__ m:__rand_int__', requestsPerSecond: 76923.08, avgMs: 0.477, p50Ms: 0.383, p99Ms: 1.215 });
  });

  it('ignores progress lines and carriage returns around the CSV', () => {
    expect(parseRedisBenchmarkCsv(`ZADD: rps=0.0 (overall: -nan)\r\n${OUTPUT.replace(/\n/g, '\r\n')}`).requestsPerSecond).toBe(76923.08);
  });

  it('throws on output without figures', () => {
    expect(() => parseRedisBenchmarkCsv('Could not connect to Redis at 127.0.0.1:6379: Connection refused\n')).toThrow(/no "rps"/);
  });
});
