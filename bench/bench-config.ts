// A game config file for servers that benchmarks and the load generator start: rate limits raised out of the way
// (one API key sends all the load, far above the default 1000 requests/s per key), plus any boards to declare.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigBoard } from '../src/leaderboards/index.js';

const UNLIMITED = 1_000_000_000;

/** Writes `realmstate.yaml` into `dir` and returns its path (for REALMSTATE_CONFIG). */
export function writeBenchConfig(dir: string, boards: readonly ConfigBoard[] = []): string {
  const lines = [
    '# Written by the benchmark / load generator: no rate limit gets in the way of the measured load.',
    'version: 1',
    'limits:',
    `  rateLimits: { perKeyPerSecond: ${UNLIMITED}, perPlayerPerSecond: ${UNLIMITED}, burst: ${UNLIMITED} }`,
    boards.length ? 'leaderboards:' : 'leaderboards: []',
    ...boards.map((b) => `  - ${JSON.stringify(b)}`),
  ];
  const file = join(dir, 'realmstate.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
