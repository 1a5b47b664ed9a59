// Season ids of API.md, in UTC: never → "all", daily → "2026-11-26", weekly → ISO week "2026-W48", monthly → "2026-11".
// Ids of one kind sort as strings in time order (fixed width), which lets callers compare them directly.
import type { BoardDefinition } from './board-definition.js';

export type BoardReset = BoardDefinition['reset'];

const DAY_MS = 86_400_000;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** ISO-8601 week of a UTC day: weeks start on Monday; week 1 is the one holding the year's first Thursday. */
function isoWeek(ms: number): { year: number; week: number } {
  const d = new Date(ms);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const weekday = new Date(day).getUTCDay() || 7;
  const thursday = day + (4 - weekday) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return { year, week };
}

/** The season a moment belongs to. */
export function seasonAt(reset: BoardReset, ms: number): string {
  switch (reset) {
    case 'never':
      return 'all';
    case 'daily': {
      const d = new Date(ms);
      return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    }
    case 'weekly': {
      const { year, week } = isoWeek(ms);
      return `${pad(year, 4)}-W${pad(week)}`;
    }
    case 'monthly': {
      const d = new Date(ms);
      return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}`;
    }
  }
}

/** When a season starts (ms since the epoch), or undefined if `id` is not a season of this kind. */
export function seasonStart(reset: BoardReset, id: string): number | undefined {
  let start: number | undefined;
  if (reset === 'never') return id === 'all' ? 0 : undefined;
  if (reset === 'daily') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(id);
    if (m) start = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  } else if (reset === 'monthly') {
    const m = /^(\d{4})-(\d{2})$/.exec(id);
    if (m) start = Date.UTC(Number(m[1]), Number(m[2]) - 1, 1);
  } else {
    const m = /^(\d{4})-W(\d{2})$/.exec(id);
    if (m) {
      // Week 1 holds January 4th; its Monday starts the ISO year.
      const jan4 = Date.UTC(Number(m[1]), 0, 4);
      const monday = jan4 - ((new Date(jan4).getUTCDay() || 7) - 1) * DAY_MS;
      start = monday + (Number(m[2]) - 1) * 7 * DAY_MS;
    }
  }
  // Round-tripping rejects what Date.UTC silently rolls over (2026-02-30, month 13, week 54 of a 52-week year).
  return start !== undefined && seasonAt(reset, start) === id ? start : undefined;
}

export function isSeasonId(reset: BoardReset, id: string): boolean {
  return seasonStart(reset, id) !== undefined;
}
