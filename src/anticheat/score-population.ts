// The population of a board season for the scoreOutlier rule: count, sum and sum of squares, kept incrementally
// (each accepted score replaces the player's previous one), seeded once from the durable copy.

export interface Population {
  n: number;
  sum: number;
  sumSq: number;
}

export function addScore(p: Population, score: number): void {
  p.n++;
  p.sum += score;
  p.sumSq += score * score;
}

export function removeScore(p: Population, score: number): void {
  p.n--;
  p.sum -= score;
  p.sumSq -= score * score;
}

/** Mean and (population) standard deviation; sd is never negative (float drift). */
export function moments(p: Population): { mean: number; sd: number } {
  if (p.n <= 0) return { mean: 0, sd: 0 };
  const mean = p.sum / p.n;
  return { mean, sd: Math.sqrt(Math.max(0, p.sumSq / p.n - mean * mean)) };
}
