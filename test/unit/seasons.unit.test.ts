// Season ids in UTC, at and around their boundaries.
import { describe, expect, it } from 'vitest';
import { isSeasonId, seasonAt, seasonStart } from '../../src/leaderboards/index.js';

const at = (iso: string) => Date.parse(iso);

describe('seasons', () => {
  it('names the season of a moment, in UTC', () => {
    expect(seasonAt('never', at('2026-11-26T10:00:00Z'))).toBe('all');
    expect(seasonAt('daily', at('2026-11-26T23:59:59.999Z'))).toBe('2026-11-26');
    expect(seasonAt('daily', at('2026-11-27T00:00:00.000Z'))).toBe('2026-11-27');
    // 23:30 in New York on the 26th is already the 27th in UTC.
    expect(seasonAt('daily', at('2026-11-26T23:30:00-05:00'))).toBe('2026-11-27');
    expect(seasonAt('monthly', at('2026-11-30T23:59:59.999Z'))).toBe('2026-11');
    expect(seasonAt('monthly', at('2026-12-01T00:00:00Z'))).toBe('2026-12');
    expect(seasonAt('weekly', at('2026-11-26T12:00:00Z'))).toBe('2026-W48');
  });

  it('uses ISO weeks: Monday starts a week, and the year of its Thursday names it', () => {
    expect(seasonAt('weekly', at('2026-11-29T23:59:59.999Z'))).toBe('2026-W48'); // Sunday
    expect(seasonAt('weekly', at('2026-11-30T00:00:00Z'))).toBe('2026-W49'); // Monday
    expect(seasonAt('weekly', at('2027-01-01T12:00:00Z'))).toBe('2026-W53'); // 2026 has 53 weeks
    expect(seasonAt('weekly', at('2027-01-04T00:00:00Z'))).toBe('2027-W01');
    expect(seasonAt('weekly', at('2024-12-30T00:00:00Z'))).toBe('2025-W01'); // Monday of 2025's week 1
    expect(seasonAt('weekly', at('2021-01-03T00:00:00Z'))).toBe('2020-W53');
  });

  it('knows when each season starts and refuses ids that are not seasons', () => {
    expect(seasonStart('weekly', '2026-W49')).toBe(at('2026-11-30T00:00:00Z'));
    expect(seasonStart('weekly', '2025-W01')).toBe(at('2024-12-30T00:00:00Z'));
    expect(seasonStart('daily', '2028-02-29')).toBe(at('2028-02-29T00:00:00Z'));
    expect(seasonStart('monthly', '2026-12')).toBe(at('2026-12-01T00:00:00Z'));
    expect(seasonStart('never', 'all')).toBe(0);
    for (const [reset, id] of [
      ['daily', '2026-02-29'], ['daily', '2026-13-01'], ['daily', '2026-1-01'], ['daily', '2026-11'], ['monthly', '2026-00'],
      ['monthly', '2026-11-26'], ['weekly', '2025-W53'], ['weekly', '2026-W00'], ['weekly', '2026-W5'], ['never', '2026'], ['weekly', 'all'],
    ] as const) {
      expect(isSeasonId(reset, id), `${reset} ${id}`).toBe(false);
    }
    expect(isSeasonId('weekly', '2026-W53')).toBe(true);
  });

  it('gives ids that sort in time order', () => {
    const days = Array.from({ length: 800 }, (_, i) => at('2025-06-01T00:00:00Z') + i * 86_400_000);
    for (const reset of ['daily', 'weekly', 'monthly'] as const) {
      const ids = days.map((d) => seasonAt(reset, d));
      expect([...ids].sort()).toEqual(ids);
      for (const id of new Set(ids)) expect(seasonAt(reset, seasonStart(reset, id) as number)).toBe(id);
    }
  });
});
