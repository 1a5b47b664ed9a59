// The SQL port: what the services need from a shard's database. PostgreSQL (pg) and PGlite both implement it,
// and the same SQL text runs on both.

export type Row = Record<string, unknown>;

export interface SqlExecutor {
  /** Runs one parameterized statement and returns its rows. bigint columns come back as JS numbers. */
  query<R extends object = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface SqlShard extends SqlExecutor {
  /** Shard index, 0-based. */
  readonly index: number;
  /** A human label for logs and errors, without secrets. */
  readonly label: string;
  /**
   * Runs `fn` in one transaction. Throws UnavailableError when the database is unreachable or refuses,
   * and CommitUnknownError when the connection failed during COMMIT (the transaction may have committed).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface SqlCluster {
  readonly kind: 'postgres' | 'pglite';
  /** Shard primaries, by index. */
  readonly shards: readonly SqlShard[];
  /** Read replicas of the `players` row, by shard index (undefined: none). */
  readonly replicas: ReadonlyArray<SqlShard | undefined>;
  /** One line for the start-up log, without secrets. */
  describe(): string;
  close(): Promise<void>;
}
