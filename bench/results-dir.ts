// Where a bench run writes its results. Only a full run replaces the committed figures (bench/results/latest.json,
// the ones the README quotes); a quick run (CI) and a run of chosen scenarios each have their own folder, so neither
// ever overwrites a full table with a partial one.
export interface RunKind {
  quick: boolean;
  /** Scenarios named on the command line; empty: all of them. */
  chosen: readonly string[];
}

/** The results folder, relative to bench/ (ends with a slash). */
export function resultsDir(run: RunKind): string {
  if (run.quick) return './results/quick/';
  if (run.chosen.length > 0) return './results/partial/';
  return './results/';
}
