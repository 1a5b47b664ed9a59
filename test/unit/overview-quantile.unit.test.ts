// The overview's p99: the quantile of the requests between two samples of the latency histogram.
import { describe, expect, it } from 'vitest';
import { quantileBetween } from '../../src/http/routes/overview.js';

const sample = (at: number, cumulative: Array<[number, number]>) => ({ at, total: cumulative[cumulative.length - 1]?.[1] ?? 0, buckets: new Map(cumulative) });

describe('quantileBetween', () => {
  it('interpolates inside the bucket that holds the quantile, counting only the requests between the samples', () => {
    const before = sample(0, [[0.001, 100], [0.01, 100], [0.1, 100], [Infinity, 100]]);
    // 100 new requests: 50 under 1 ms, 40 between 1 and 10 ms, 10 between 10 and 100 ms.
    const after = sample(1, [[0.001, 150], [0.01, 190], [0.1, 200], [Infinity, 200]]);
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.001, 6);
    expect(quantileBetween(before, after, 0.9)).toBeCloseTo(0.01, 6);
    expect(quantileBetween(before, after, 0.99)).toBeCloseTo(0.01 + 0.09 * 0.9, 6);
    // From the start (no earlier sample) the old requests count too.
    expect(quantileBetween(undefined, after, 0.5)).toBeCloseTo(0.001 * (100 / 150), 6);
  });

  it('is null without requests and the last finite bound beyond it', () => {
    const same = sample(0, [[0.001, 5], [Infinity, 5]]);
    expect(quantileBetween(same, same, 0.99)).toBeNull();
    expect(quantileBetween(undefined, sample(1, [[0.001, 0], [2.5, 0], [Infinity, 10]]), 0.99)).toBe(2.5);
  });
});
