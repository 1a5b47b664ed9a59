// The SQL port: what the services need from a shard's database. PostgreSQL (pg) and PGlite both implement it,
// and the same SQL text runs on both.

export type Row = Record<string, unknown>;

export interface SqlExecutor {
  /**
   * Runs one parameterized statement and returns its rows. bigint columns come back as JS numbers. `prepared` names
   * a hot statement that each connection may parse and plan once and then reuse (one name per statement text).
   */
  query<R extends object = Row>(text: string, params?: readonly unknown[], prepared?: string): Promise<R[]>;
}

/** Exclusive right, among all processes on this database, to do one job (e.g. relay the shard's outbox). */
export interface Lease {
  /** False once the lease is lost (its connection died); the holder must stop and try to take it again. */
  held(): boolean;
  release(): Promise<void>;
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
  /** Takes the lease named by `key` if no other process holds it; undefined if one does. */
  tryLease(key: number): Promise<Lease | undefined>;
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
