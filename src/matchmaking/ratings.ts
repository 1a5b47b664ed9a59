// Weng-Lin ratings (openskill 5, Plackett-Luce model) with the one choice Realmstate makes: tau.
import { predictDraw, rate } from 'openskill';
import type { PlayerRating } from './ticket.js';

/**
 * Tau: how much sigma grows before each rated match, so a veteran's rating can still move when the player's skill
 * changes (with 0, sigma only shrinks and ratings freeze over hundreds of matches). Realmstate keeps openskill 5's own
 * default, 25/300 (mu0/300 on the usual scale), and passes it explicitly so an upgrade of the library cannot change it.
 */
export const RATING_TAU = 25 / 300;

/** New ratings for every player: `teams[i][j]` is the rating of player j of team i; ranks: 1 = best, equal = draw. */
export function rateMatch(teams: readonly PlayerRating[][], ranks: readonly number[]): PlayerRating[][] {
  const out = rate(
    teams.map((t) => t.map((r) => ({ mu: r.mu, sigma: r.sigma }))),
    { rank: [...ranks], tau: RATING_TAU },
  );
  return out.map((team) => team.map((r) => ({ mu: r.mu, sigma: r.sigma })));
}

/** The model's probability that the teams draw: near 1 for an even match, falling as they drift apart. */
export function drawProbability(teams: readonly PlayerRating[][]): number {
  return predictDraw(teams.map((t) => t.map((r) => ({ mu: r.mu, sigma: r.sigma }))));
}
