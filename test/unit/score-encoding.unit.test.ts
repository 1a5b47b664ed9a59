// The score encoding at the extremes: ±(2^53−1), 0, and ties, through the encoding and through the sorted-set members.
import { describe, expect, it } from 'vitest';
import { memberOf, parseMember } from '../../src/backends/redis/index.js';
import { compareEntries, MAX_SCORE } from '../../src/backends/sorted-set-port.js';
import { decodeScore, encodeScore, isValidScore } from '../../src/leaderboards/index.js';

const EXTREMES = [MAX_SCORE, MAX_SCORE - 1, -MAX_SCORE, -MAX_SCORE + 1, 0, 1, -1, 2 ** 52 + 1];

describe('score encoding', () => {
  it('round-trips every extreme exactly for both orders, never giving −0', () => {
    for (const order of ['desc', 'asc'] as const) {
      for (const score of EXTREMES) {
        const key = encodeScore(order, score);
        expect(Number.isSafeInteger(key)).toBe(true);
        expect(decodeScore(order, key)).toBe(score);
        // What Redis does: the score travels as decimal text (17 significant digits) and is parsed back.
        expect(Number(Number(key).toPrecision(17))).toBe(key);
        expect(Number(String(key))).toBe(key);
      }
      expect(Object.is(encodeScore(order, 0), 0)).toBe(true);
      expect(Object.is(encodeScore(order, -0), 0)).toBe(true);
    }
  });

  it('orders desc boards highest first and asc boards lowest first, in the sorted set’s ascending order', () => {
    const sorted = (order: 'desc' | 'asc') => [...EXTREMES].sort((a, b) => encodeScore(order, a) - encodeScore(order, b));
    expect(sorted('desc')).toEqual([...EXTREMES].sort((a, b) => b - a));
    expect(sorted('asc')).toEqual([...EXTREMES].sort((a, b) => a - b));
  });

  it('accepts exactly the integers within ±(2^53−1)', () => {
    for (const s of EXTREMES) expect(isValidScore(s)).toBe(true);
    for (const s of [MAX_SCORE + 1, -MAX_SCORE - 1, 2 ** 53, 0.5, NaN, Infinity, -Infinity, '1', null]) expect(isValidScore(s)).toBe(false);
  });

  it('breaks ties by time through fixed-width hex members, then by player id', () => {
    const times = [0, 1, 15, 16, 255, 256, Date.UTC(2026, 10, 26) * 1000, MAX_SCORE];
    const members = times.map((at) => memberOf(at, 'p'));
    expect(new Set(members.map((m) => m.length)).size).toBe(1);
    expect([...members].sort()).toEqual(members);
    for (const at of times) expect(parseMember(memberOf(at, 'a:b.c'), '-9007199254740991')).toEqual({ playerId: 'a:b.c', at, score: -MAX_SCORE });
    // Exactly the 14 hex digits of the time, whatever times came before (the high digits of the last are kept).
    for (const at of [2 ** 24 - 1, 2 ** 24, 2 ** 24 + 1, 2 ** 48 + 5, 3, Date.UTC(2026, 0, 1) * 1000 + 123_456, 2 ** 24 - 1, MAX_SCORE, 2 ** 32 * 2 ** 24 - 1]) {
      expect(memberOf(at, 'p')).toBe(`${at.toString(16).padStart(14, '0')}:p`);
    }
    expect(parseMember(memberOf(5, 'p'), '-0').score).toBe(0);
    expect(Object.is(parseMember(memberOf(5, 'p'), '-0').score, 0)).toBe(true);
    // The port's order equals the bytes order of members for equal scores.
    const entries = [
      { playerId: 'b', at: 7, score: 3 }, { playerId: 'a', at: 7, score: 3 }, { playerId: 'A', at: 7, score: 3 },
      { playerId: 'a.', at: 7, score: 3 }, { playerId: 'z', at: 6, score: 3 },
    ];
    const byPort = [...entries].sort(compareEntries).map((e) => e.playerId);
    const byMember = [...entries].map((e) => memberOf(e.at, e.playerId)).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))).map((m) => m.slice(15));
    expect(byPort).toEqual(byMember);
    expect(byPort).toEqual(['z', 'A', 'a', 'a.', 'b']);
  });
});
