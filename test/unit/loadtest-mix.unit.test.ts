// The load generator's action mix: the shares it is asked for, players created before they are read, regions on regional boards.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../helpers/seeded-random.js';
import { onlineShare, planAction, PlayerBook, type MixOptions } from '../../bench/loadtest-mix.js';

const MIX: MixOptions = { scores: 0.2, reads: 0.3, board: 'arena', regions: ['eu', 'na'], durability: 'sync', playerPrefix: 'lt-' };

describe('planAction', () => {
  it('sends a player event first when nobody exists yet to read', () => {
    const book = new PlayerBook(10);
    const random = seededRandom(1);
    for (let i = 0; i < 50; i++) {
      const plan = planAction(i % 10, book, { ...MIX, scores: 0, reads: 1 }, random);
      expect(['event', 'read-top']).toContain(plan.kind);
    }
  });

  it('follows the requested shares once players exist', () => {
    const book = new PlayerBook(1000);
    for (let p = 0; p < 1000; p++) {
      book.markCreated(p);
      book.markScored(p);
    }
    const random = seededRandom(2);
    const counts: Record<string, number> = {};
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const plan = planAction(Math.floor(random() * 1000), book, MIX, random);
      counts[plan.kind] = (counts[plan.kind] ?? 0) + 1;
      if (plan.kind === 'score') expect(plan.body).toMatchObject({ region: expect.stringMatching(/^(eu|na)$/) });
    }
    const reads = (counts['read-player'] ?? 0) + (counts['read-top'] ?? 0) + (counts['read-rank'] ?? 0);
    expect((counts.score ?? 0) / n).toBeCloseTo(0.2, 1);
    expect(reads / n).toBeCloseTo(0.3, 1);
    expect((counts.event ?? 0) / n).toBeCloseTo(0.5, 1);
  });

  it("creates a player with its region before anything else it does", () => {
    const plan = planAction(3, new PlayerBook(10), { ...MIX, scores: 0, reads: 0 }, seededRandom(3));
    expect(plan.path).toBe('/v1/players/lt-3/events');
    expect(JSON.stringify(plan.body)).toContain('"region"');
  });
});

describe('onlineShare', () => {
  it('is flat, or a day from 30% to 100% and back', () => {
    expect(onlineShare('flat', 0.1)).toBe(1);
    expect(onlineShare('day', 0)).toBeCloseTo(0.3);
    expect(onlineShare('day', 0.5)).toBeCloseTo(1);
    expect(onlineShare('day', 1)).toBeCloseTo(0.3);
  });
});
