// Where the embedded database runs: on this thread (a PGlite the caller opened, for tests) or on a worker thread of
// its own (pglite-thread.ts, what `npm start` uses). PGlite runs PostgreSQL compiled to WebAssembly synchronously,
// so on this thread every statement stops the event loop; on its own thread it uses the second core while this one
// serves HTTP. Both run each unit of work as one PGlite transaction on a shard's schema, the same way.
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { Row, SqlExecutor } from './sql-port.js';
import type { WalSync } from './wal-sync.js';

export interface PgliteEngine {
  /** True once the database is closed (or its thread is gone). */
  readonly closed: boolean;
  /**
   * Runs `fn` in one transaction whose first statement is `setPath` (the shard's schema); when `durable`, the commit
   * record is flushed to the disk before this resolves.
   */
  transaction<T>(setPath: string, durable: boolean, fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** One statement in a transaction of its own (not flushed: reads and idempotent writes). */
  query<R extends object = Row>(setPath: string, text: string, params?: readonly unknown[]): Promise<R[]>;
  /** A multi-statement script without parameters, in one transaction. */
  exec(setPath: string, script: string): Promise<void>;
  /** Closes the database if this engine opened it: with a checkpoint, unless `skipCheckpoint` (a full disk hangs it). */
  close(skipCheckpoint?: boolean): Promise<void>;
}

/** One statement on an open PGlite transaction; without parameters the simple protocol, which (like pg) takes several. */
export async function runStatement<R extends object = Row>(tx: Transaction, text: string, params?: readonly unknown[]): Promise<R[]> {
  if (params === undefined || params.length === 0) return ((await tx.exec(text)).at(-1)?.rows ?? []) as R[];
  return (await tx.query<R>(text, params as unknown[])).rows;
}

/** The engine on this thread, over a PGlite that the caller opened (and closes, unless `owns`). */
export class InThreadPglite implements PgliteEngine {
  constructor(private readonly db: PGlite, private readonly wal?: WalSync, private readonly owns = false) {}

  get closed(): boolean {
    return this.db.closed;
  }

  async transaction<T>(setPath: string, durable: boolean, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const result = await this.db.transaction(async (tx) => {
      await tx.exec(setPath);
      return fn({ query: <R extends object = Row>(text: string, params?: readonly unknown[]) => runStatement<R>(tx, text, params) });
    });
    if (durable) this.wal?.sync();
    return result;
  }

  query<R extends object = Row>(setPath: string, text: string, params?: readonly unknown[]): Promise<R[]> {
    return this.transaction(setPath, false, (tx) => tx.query<R>(text, params));
  }

  async exec(setPath: string, script: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.exec(setPath);
      await tx.exec(script);
    });
  }

  async close(skipCheckpoint = false): Promise<void> {
    if (this.owns && !skipCheckpoint && !this.db.closed) await this.db.close();
  }
}
