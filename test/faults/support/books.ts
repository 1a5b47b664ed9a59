// The books of a fault scenario: what the clients were told was written, against what is there afterwards.
// Each request carries a unique token, so a lost request and a request applied twice are both visible.
import { appendFileSync, mkdirSync } from 'node:fs';
import { expect } from 'vitest';
import { RESULTS, RESULTS_DIR, type Books } from './books-file.js';

export type { Books };


/** Prints and records the books, then checks that nothing acknowledged was lost or applied twice. */
export function closeBooks(books: Books): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  appendFileSync(RESULTS, `${JSON.stringify(books)}\n`);
  console.log(`books ${books.scenario}: acknowledged ${books.acknowledged}, found ${books.found}, lost ${books.lost}, duplicated ${books.duplicated}, recovered in ${books.recoverSeconds.toFixed(1)} s`);
  expect(books.acknowledged).toBeGreaterThan(0);
  expect(books.lost).toBe(0);
  expect(books.duplicated).toBe(0);
}
