// Season ids as the server names them (UTC), for the console's "previous season" button. No DOM here: unit tested.

/** The season before `season` of a board that resets (UTC), as the server names seasons. */
export function previousSeason(reset: string, season: string): string | null {
  if (reset === 'daily') {
    const d = new Date(`${season}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() - 1);
    return d.toISOString().slice(0, 10);
  }
  if (reset === 'monthly') {
    const [y, m] = season.split('-').map(Number) as [number, number];
    return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  }
  if (reset === 'weekly') {
    const m = /^(\d{4})-W(\d{2})$/.exec(season);
    if (!m) return null;
    const [y, w] = [Number(m[1]), Number(m[2])];
    if (w > 1) return `${y}-W${String(w - 1).padStart(2, '0')}`;
    // The last ISO week of the year before: the week of its 28 December.
    const dec28 = new Date(Date.UTC(y - 1, 11, 28));
    const thursday = new Date(dec28);
    thursday.setUTCDate(dec28.getUTCDate() + 3 - ((dec28.getUTCDay() + 6) % 7));
    const jan1 = Date.UTC(thursday.getUTCFullYear(), 0, 1);
    const week = Math.ceil(((thursday.getTime() - jan1) / 86_400_000 + 1) / 7);
    return `${y - 1}-W${String(week).padStart(2, '0')}`;
  }
  return null;
}
