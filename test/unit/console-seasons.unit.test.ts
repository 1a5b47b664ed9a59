// The console's "previous season" of each reset, across month and year ends (ISO weeks: 2020 had 53).
import { describe, expect, it } from 'vitest';
import { previousSeason } from '../../src/console/app/seasons.js';

describe('previousSeason', () => {
  it('steps back one season of each reset', () => {
    expect(previousSeason('daily', '2026-03-01')).toBe('2026-02-28');
    expect(previousSeason('daily', '2024-03-01')).toBe('2024-02-29');
    expect(previousSeason('daily', '2026-01-01')).toBe('2025-12-31');
    expect(previousSeason('monthly', '2026-11')).toBe('2026-10');
    expect(previousSeason('monthly', '2026-01')).toBe('2025-12');
    expect(previousSeason('weekly', '2026-W48')).toBe('2026-W47');
    expect(previousSeason('weekly', '2021-W01')).toBe('2020-W53');
    expect(previousSeason('weekly', '2026-W01')).toBe('2025-W52');
    expect(previousSeason('never', 'all')).toBeNull();
  });
});
