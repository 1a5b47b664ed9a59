export { openShardMap, type ShardMapHandle } from './shard-map.js';
export { ShardMover, MoveConflictError, DEFAULT_MOVER_OPTIONS, type MoveStatus, type ShardStatus, type MoveKind, type ShardMoverOptions } from './shard-mover.js';
export { planRebalance, planDrain, type PlannedMove } from './planner.js';
