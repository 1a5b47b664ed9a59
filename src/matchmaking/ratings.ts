// Weng-Lin ratings (openskill 5, Plackett-Luce model) with the one choice Realmstate makes: tau.
import erf from '@stdlib/math-base-special-erf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { rate } from 'openskill';
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

/** openskill's default beta (performance spread of one player, 25/6 on the usual scale) and its square. */
const BETA = 25 / 6;
const BETA_SQ = BETA ** 2;
const SQRT_2 = Math.sqrt(2);

/** The standard normal CDF, as openskill computes it. */
function phi(x: number): number {
  return 0.5 * (1 + erf(x / SQRT_2));
}

/** The draw margin for a match of n players (it depends on n alone), kept per n. */
const drawMargins = new Map<number, number>();

function drawMargin(players: number): number {
  let margin = drawMargins.get(players);
  if (margin === undefined) {
    margin = Math.sqrt(players) * BETA * normalQuantile((1 + 1 / players) / 2, 0, 1);
    drawMargins.set(players, margin);
  }
  return margin;
}

/**
 * The model's probability that the teams draw: near 1 for an even match, falling as they drift apart.
 * openskill 5's `predictDraw` with its default options, computed the same way step for step (the same erf and normal
 * quantile, the same order of operations, so the same bits; a unit test holds it to openskill's own), without the
 * per-call option parsing and list helpers that made it a quarter of a matcher tick (one call per proposed match).
 */
export function drawProbability(teams: readonly PlayerRating[][]): number {
  let players = 0;
  for (const t of teams) players += t.length;
  const margin = drawMargin(players);
  const mus = new Array<number>(teams.length);
  const sigmaSqs = new Array<number>(teams.length);
  for (let i = 0; i < teams.length; i++) {
    let mu = 0;
    let sigmaSq = 0;
    for (const r of teams[i] as PlayerRating[]) {
      mu += r.mu;
      sigmaSq += r.sigma * r.sigma;
    }
    mus[i] = mu;
    sigmaSqs[i] = sigmaSq;
  }
  let total = 0;
  let count = 0;
  for (let i = 0; i < teams.length; i++) {
    for (let j = i + 1; j < teams.length; j++) {
      const muA = mus[i] as number;
      const muB = mus[j] as number;
      const sharedDenom = Math.sqrt(players * BETA_SQ + (sigmaSqs[i] as number) + (sigmaSqs[j] as number));
      total += phi((margin - muA + muB) / sharedDenom) - phi((muB - muA - margin) / sharedDenom);
      count += 1;
    }
  }
  return total / count;
}
