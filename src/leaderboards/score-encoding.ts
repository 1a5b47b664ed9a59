// How a board's scores become sorted-set scores, and why that is exact.
//
// The sorted-set port ranks the lowest score first, ties by earlier time. A `desc` board (higher is better) stores
// −score, an `asc` board stores the score itself. Scores are integers with |score| ≤ 2^53−1: every such integer,
// and its negation, is exactly a double, which is what a Redis score and a Lua number are; Redis writes scores back
// with 17 significant digits, enough for any double to round-trip, and integers print as plain digits. So the
// encoding loses nothing, and sums that would leave the range are refused before they could round.
// The operators map onto the port's: best → min (of the encoded score, i.e. the max for desc), set → set,
// incr → add (adding −delta on a desc board adds delta to the real score).
import { MAX_SCORE, type ScoreOp } from '../backends/sorted-set-port.js';
import type { BoardDefinition } from './board-definition.js';

export type BoardOrder = BoardDefinition['order'];
export type BoardOperator = BoardDefinition['operator'];

export const OPERATOR_OPS: Readonly<Record<BoardOperator, ScoreOp>> = { best: 'min', set: 'set', incr: 'add' };

/** The sorted-set score of a board score (also of an incr delta). −0 never comes out. */
export function encodeScore(order: BoardOrder, score: number): number {
  return order === 'desc' ? 0 - score + 0 : score + 0;
}

/** The board score of a sorted-set score. */
export function decodeScore(order: BoardOrder, key: number): number {
  return encodeScore(order, key);
}

export function isValidScore(score: unknown): score is number {
  return typeof score === 'number' && Number.isInteger(score) && Math.abs(score) <= MAX_SCORE;
}
