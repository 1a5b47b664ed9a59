export type { Lease, Row, SqlCluster, SqlExecutor, SqlShard } from './sql-port.js';
export { CommitUnknownError, isCommitUnknown, isDataRefusal, isUnavailability } from './sql-errors.js';
export { PgCluster, PgShard, DEFAULT_PG_POOL_OPTIONS, type PgPoolOptions } from './pg-cluster.js';
export { PgliteCluster, shardSchema, type PgliteClusterOptions } from './pglite-cluster.js';
export { assignShardIds, migrateCluster, migrateShard, loadMigrations, ShardMismatchError } from './migrate.js';
