// PostgreSQL adapter of the SQL port: one pg pool per shard (and per replica).
import pg from 'pg';
import { redact } from '../../settings.js';
import type { Lease, Row, SqlCluster, SqlExecutor, SqlShard } from './sql-port.js';
import { CommitUnknownError, isUnavailability, toUnavailable } from './sql-errors.js';

/** Options of a shard pool. Defaults are in DEFAULT_PG_POOL_OPTIONS. */
export interface PgPoolOptions {
  /** Connections per shard. Default 10. */
  max: number;
  /** Give up connecting after this long, so a dead shard fails fast. Default 2000 ms. */
  connectionTimeoutMillis: number;
  /** Abort a statement after this long. Default 30000 ms. */
  statementTimeoutMs: number;
}

export const DEFAULT_PG_POOL_OPTIONS: Readonly<PgPoolOptions> = Object.freeze({ max: 10, connectionTimeoutMillis: 2000, statementTimeoutMs: 30_000 });

const INT8_OID = 20;
const parseInt8 = (value: string): number | bigint => {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : BigInt(value);
};
const typeParsers = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export class PgShard implements SqlShard {
  readonly pool: pg.Pool;

  constructor(readonly index: number, readonly url: string, readonly label: string, options: PgPoolOptions = DEFAULT_PG_POOL_OPTIONS) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.max,
      connectionTimeoutMillis: options.connectionTimeoutMillis,
      statement_timeout: options.statementTimeoutMs,
      keepAlive: true,
      types: typeParsers,
    });
    // An idle client that loses its connection emits here; without a listener the process would crash.
    this.pool.on('error', () => {});
  }

  async query<R extends object = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
    try {
      const result = await this.pool.query(text, params as unknown[] | undefined);
      return result.rows as R[];
    } catch (err) {
      throw toUnavailable(this.label, err);
    }
  }

  async exec(script: string): Promise<void> {
    await this.query(script);
  }

  /**
   * A session-level advisory lock on a connection of its own: held as long as that connection lives,
   * released by PostgreSQL if this process dies.
   */
  async tryLease(key: number): Promise<Lease | undefined> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2000, keepAlive: true });
    let alive = true;
    client.on('error', () => (alive = false));
    client.on('end', () => (alive = false));
    try {
      await client.connect();
      const [row] = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [key])).rows;
      if (!row?.ok) {
        await client.end();
        return undefined;
      }
    } catch (err) {
      await client.end().catch(() => {});
      throw toUnavailable(this.label, err);
    }
    return {
      held: () => alive,
      release: async () => {
        if (!alive) return;
        alive = false;
        await client.end().catch(() => {});
      },
    };
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw toUnavailable(this.label, err);
    }
    const tx: SqlExecutor = {
      query: async <R extends object = Row>(text: string, params?: readonly unknown[], prepared?: string) =>
        (prepared === undefined ? await client.query(text, params as unknown[] | undefined) : await client.query({ name: prepared, text, values: params as unknown[] | undefined }))
          .rows as R[],
    };
    let broken = false;
    // A checked-out client whose server dies between two statements emits 'error'; the pool only listens on
    // idle clients, and an unheard 'error' would crash the process. The next statement fails and reports it.
    const onError = () => (broken = true);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      try {
        await client.query('COMMIT');
      } catch (err) {
        broken = isUnavailability(err);
        if (broken) throw new CommitUnknownError(`${this.label}: connection lost during COMMIT`, { cause: err });
        throw err;
      }
      return result;
    } catch (err) {
      if (!(err instanceof CommitUnknownError)) {
        broken = isUnavailability(err);
        if (!broken) await client.query('ROLLBACK').catch(() => { broken = true; });
      }
      throw toUnavailable(this.label, err);
    } finally {
      client.off('error', onError);
      client.release(broken ? true : undefined);
    }
  }
}

export class PgCluster implements SqlCluster {
  readonly kind = 'postgres' as const;
  readonly shards: PgShard[];
  readonly replicas: Array<PgShard | undefined>;

  constructor(urls: readonly string[], replicaUrls: readonly string[] = [], options: PgPoolOptions = DEFAULT_PG_POOL_OPTIONS) {
    this.shards = urls.map((url, i) => new PgShard(i, url, `shard ${i} (${redact(url)})`, options));
    this.replicas = urls.map((_, i) => {
      const url = replicaUrls[i];
      return url ? new PgShard(i, url, `replica of shard ${i} (${redact(url)})`, options) : undefined;
    });
  }

  describe(): string {
    const replicas = this.replicas.filter(Boolean).length;
    return `PostgreSQL, ${this.shards.length} shard${this.shards.length === 1 ? '' : 's'}${replicas ? `, ${replicas} replica${replicas === 1 ? '' : 's'}` : ''}`;
  }

  private closed: Promise<void> | undefined;

  /** Ends every pool; calling it again waits for the first call. */
  close(): Promise<void> {
    this.closed ??= Promise.all([...this.shards, ...this.replicas].map((s) => s?.pool.end())).then(() => undefined);
    return this.closed;
  }
}
