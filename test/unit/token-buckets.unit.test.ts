// Token buckets on a hand-driven clock: capacity rate + burst, refill at rate, Retry-After, limits changed between
// takes, idle buckets dropped, memory capped. Compared with a straightforward model for random schedules.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../src/http/token-buckets.js';

function clocked(maxBuckets?: number) {
  let now = 0;
  const buckets = new TokenBuckets({ now: () => now, maxBuckets });
  return { buckets, advance: (ms: number) => (now += ms) };
}

const takeN = (b: TokenBuckets, key: string, n: number, limits = { perSecond: 5, burst: 3 }) =>
  Array.from({ length: n }, () => b.take(key, limits).ok).filter(Boolean).length;

describe('token buckets', () => {
  it('allow rate + burst at once, then rate per second, and say when to retry', () => {
    const { buckets, advance } = clocked();
    expect(takeN(buckets, 'k', 20)).toBe(8);
    expect(buckets.take('k', { perSecond: 5, burst: 3 })).toEqual({ ok: false, retryAfterSeconds: 1 });
    advance(1000);
    expect(takeN(buckets, 'k', 20)).toBe(5);
    advance(200);
    expect(takeN(buckets, 'k', 20)).toBe(1);
    // Whole seconds, rounded up (the config's rates are integers ≥ 1, so never more than 1 s).
    const slow = { perSecond: 1, burst: 0 };
    expect(buckets.take('slow', slow).ok).toBe(true);
    advance(100);
    expect(buckets.take('slow', slow)).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it('keep buckets apart', () => {
    const { buckets } = clocked();
    expect(takeN(buckets, 'a', 20)).toBe(8);
    expect(takeN(buckets, 'b', 20)).toBe(8);
  });

  it('apply new limits on the next take', () => {
    const { buckets, advance } = clocked();
    expect(takeN(buckets, 'k', 8)).toBe(8);
    advance(1000);
    // Raised: refills at the new rate from the time of the last take.
    expect(takeN(buckets, 'k', 200, { perSecond: 100, burst: 0 })).toBe(100);
    advance(10_000);
    // Lowered: a bucket above the new capacity is cut down to it.
    expect(takeN(buckets, 'k', 200, { perSecond: 2, burst: 1 })).toBe(3);
  });

  it('drop buckets that have refilled, and never hold more than the cap', () => {
    const { buckets, advance } = clocked(1000);
    for (let i = 0; i < 500; i++) buckets.take(`p${i}`, { perSecond: 5, burst: 3 });
    expect(buckets.size).toBe(500);
    // Long enough for every bucket to be full again: the next take sweeps them.
    advance(2000);
    buckets.take('fresh', { perSecond: 5, burst: 3 });
    expect(buckets.size).toBe(1);
    for (let i = 0; i < 5000; i++) buckets.take(`q${i}`, { perSecond: 5, burst: 3 });
    expect(buckets.size).toBe(1000);
  });

  it('match a model of one bucket for random schedules', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 30 })), { minLength: 1, maxLength: 30 }),
        (perSecond, burst, steps) => {
          const { buckets, advance } = clocked();
          let model = perSecond + burst;
          for (const [waitMs, requests] of steps) {
            advance(waitMs);
            model = Math.min(perSecond + burst, model + (waitMs / 1000) * perSecond);
            const allowed = takeN(buckets, 'k', requests, { perSecond, burst });
            const expected = Math.min(requests, Math.floor(model + 1e-9));
            expect(allowed).toBe(expected);
            model -= expected;
          }
        },
      ),
      { numRuns: 200, seed: 8 },
    );
  });
});
