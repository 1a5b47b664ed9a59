// Where the fault suite's books are kept between the scenarios (one JSON line each) and the summary.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Books {
  scenario: string;
  acknowledged: number;
  found: number;
  lost: number;
  duplicated: number;
  /** Seconds from the end of the fault until the service answered normally again. */
  recoverSeconds: number;
  note?: string;
}

export const RESULTS_DIR = join(process.cwd(), 'test', 'faults', 'results');
export const RESULTS = join(RESULTS_DIR, 'books.jsonl');

export function resetBooks(): void {
  rmSync(RESULTS, { force: true });
}

export function readBooks(): Books[] {
  if (!existsSync(RESULTS)) return [];
  return readFileSync(RESULTS, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Books);
}
