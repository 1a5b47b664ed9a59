// Every benchmark scenario, in the order `npm run bench` runs them.
import type { Scenario } from '../harness.js';
import { anticheatScenario } from './anticheat.js';
import { batchReadScenario } from './batch-read.js';
import { configScenario } from './config.js';
import { fleetScenario } from './fleet.js';
import { groupCommitScenario } from './group-commit.js';
import { lbEmbeddedScenario } from './lb-embedded.js';
import { lbRankScenario } from './lb-rank.js';
import { lbRegionsScenario } from './lb-regions.js';
import { lbSubmitScenario } from './lb-submit.js';
import { rateLimitScenario } from './rate-limit.js';
import { matchmakingScenario } from './matchmaking.js';
import { readPathScenario } from './read-path.js';
import { reshardScenario } from './reshard.js';
import { streamLagScenario } from './stream-lag.js';
import { snapshotScenario } from './snapshot-load.js';
import { writeBehindScenario } from './write-behind.js';
import { tradesScenario } from './trades.js';

export const SCENARIOS: Scenario[] = [
  writeBehindScenario,
  groupCommitScenario,
  snapshotScenario,
  batchReadScenario,
  readPathScenario,
  streamLagScenario,
  configScenario,
  lbSubmitScenario,
  lbRankScenario,
  lbRegionsScenario,
  lbEmbeddedScenario,
  anticheatScenario,
  rateLimitScenario,
  tradesScenario,
  matchmakingScenario,
  fleetScenario,
  reshardScenario,
];
