// Embedded adapter of the SQL port: one PGlite database under the data dir, one schema per shard.
// One instance rather than one per shard: each PGlite costs ~300 MB and ~0.5 s to open (DESIGN.md).
// PGlite runs one statement at a time, so shards share its single connection; a lock file keeps a second
// process from opening the same directory (PGlite itself would let it, and corrupt the data).
import { PGlite, types } from '@electric-sql/pglite';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UnavailableError } from '../../errors.js';
import type { Lease, Row, SqlCluster, SqlExecutor, SqlShard } from './sql-port.js';

const parseInt8 = (value: string): number | bigint => {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : BigInt(value);
};

export function shardSchema(index: number, prefix = ''): string {
  return `${prefix}shard_${index}`;
}

/** Options of the embedded cluster. */
export interface PgliteClusterOptions {
  /** Prepended to each shard's schema name, so several clusters can share one database (tests). Default ''. */
  schemaPrefix?: string;
}

class PgliteShard implements SqlShard {
  readonly label: string;
  private readonly setPath: string;
  private readonly leases = new Set<number>();

  constructor(private readonly db: PGlite, readonly index: number, schemaPrefix: string) {
    this.label = `embedded shard ${index}`;
    this.setPath = `SET LOCAL search_path TO ${shardSchema(index, schemaPrefix)}`;
  }

  private fail(err: unknown): never {
    if (this.db.closed) throw new UnavailableError(`${this.label} is closed`, { cause: err });
    // File-system errors (disk full, read-only directory) come from the wasm runtime as ErrnoError.
    const errno = (err as { errno?: unknown; code?: unknown } | null)?.errno;
    if (typeof errno === 'number' || (err as { name?: string } | null)?.name === 'ErrnoError') {
      throw new UnavailableError(`${this.label} cannot write its data dir: ${(err as Error).message ?? String(err)}`, { cause: err });
    }
    throw err;
  }

  async query<R extends object = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
    return this.transaction((tx) => tx.query<R>(text, params));
  }

  /** One process owns the embedded database (the lock file), so within it a lease is a plain flag. */
  async tryLease(key: number): Promise<Lease | undefined> {
    if (this.leases.has(key)) return undefined;
    this.leases.add(key);
    let held = true;
    return {
      held: () => held && !this.db.closed,
      release: async () => {
        if (held) this.leases.delete(key);
        held = false;
      },
    };
  }

  async exec(script: string): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        await tx.exec(this.setPath);
        await tx.exec(script);
      });
    } catch (err) {
      this.fail(err);
    }
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(async (tx) => {
        await tx.exec(this.setPath);
        return fn({
          query: async <R extends object = Row>(text: string, params?: readonly unknown[]) => {
            // Without parameters use the simple protocol, which (like pg) accepts several statements.
            if (params === undefined || params.length === 0) return ((await tx.exec(text)).at(-1)?.rows ?? []) as R[];
            return (await tx.query<R>(text, params as unknown[])).rows;
          },
        });
      });
    } catch (err) {
      this.fail(err);
    }
  }
}

export class PgliteCluster implements SqlCluster {
  readonly kind = 'pglite' as const;
  readonly replicas: undefined[];

  private constructor(
    readonly db: PGlite,
    readonly shards: PgliteShard[],
    private readonly lockFile: string | undefined,
    private readonly dir: string,
    private readonly ownsDb: boolean,
  ) {
    this.replicas = shards.map(() => undefined);
  }

  /** Uses an already open PGlite (which the caller keeps and closes) for `shardCount` shard schemas. */
  static async attach(db: PGlite, shardCount: number, options: PgliteClusterOptions = {}): Promise<PgliteCluster> {
    const prefix = options.schemaPrefix ?? '';
    if (!/^[a-z0-9_]*$/.test(prefix)) throw new Error(`schema prefix "${prefix}" may only hold a-z 0-9 _`);
    for (let i = 0; i < shardCount; i++) await db.exec(`CREATE SCHEMA IF NOT EXISTS ${shardSchema(i, prefix)}`);
    const shards = Array.from({ length: shardCount }, (_, i) => new PgliteShard(db, i, prefix));
    return new PgliteCluster(db, shards, undefined, 'attached', false);
  }

  /** Opens (creating if needed) the embedded database. `dataDir` undefined keeps everything in memory. */
  static async open(dataDir: string | undefined, shardCount: number): Promise<PgliteCluster> {
    let lockFile: string | undefined;
    let dir = 'memory';
    if (dataDir !== undefined) {
      mkdirSync(dataDir, { recursive: true });
      lockFile = join(dataDir, 'realmstate.lock');
      takeLock(lockFile);
      dir = join(dataDir, 'pglite');
    }
    try {
      const db = await PGlite.create(dataDir === undefined ? undefined : dir, {
        parsers: { [types.INT8]: parseInt8 },
      });
      for (let i = 0; i < shardCount; i++) await db.exec(`CREATE SCHEMA IF NOT EXISTS ${shardSchema(i)}`);
      const shards = Array.from({ length: shardCount }, (_, i) => new PgliteShard(db, i, ''));
      return new PgliteCluster(db, shards, lockFile, dir, true);
    } catch (err) {
      if (lockFile) rmSync(lockFile, { force: true });
      throw err;
    }
  }

  describe(): string {
    return `embedded PGlite (${this.dir}), ${this.shards.length} shard schemas`;
  }

  async close(): Promise<void> {
    if (this.ownsDb && !this.db.closed) await this.db.close();
    if (this.lockFile) rmSync(this.lockFile, { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the lock file, or explains which live process holds it. A lock left by a dead process is taken over. */
function takeLock(path: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && processAlive(holder)) {
        throw new Error(`the embedded database in ${path.replace(/\/realmstate\.lock$/, '')} is in use by process ${holder}; stop it or set REALMSTATE_DATA_DIR to another directory`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not lock ${path}`);
}
