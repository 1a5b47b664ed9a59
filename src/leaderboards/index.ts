export {
  LeaderboardService, type LeaderboardServiceOptions, type LeaderboardStores, type BoardInfo, type BoardPage,
  type RankedScore, type ScoreSubmission, type ReadOptions, type RebuildReport,
} from './leaderboard-service.js';
export {
  boardDefinitionSchema, configBoardSchema, BOARD_ORDERS, BOARD_OPERATORS, BOARD_RESETS, MAX_REGIONS,
  type BoardDefinition, type ConfigBoard,
} from './board-definition.js';
export { systemClock, type Clock } from './clock.js';
export { seasonAt, seasonStart, isSeasonId } from './seasons.js';
export { encodeScore, decodeScore, isValidScore } from './score-encoding.js';
export { DEFAULT_SCORE_COPY_OPTIONS, type ScoreCopyOptions } from './score-copy.js';
export type { ScoreGuard, GuardedSubmission, SubmitVerdict } from './score-guard.js';
