// Embedded adapter of the SQL port: one PGlite database under the data dir, one schema per shard.
// One instance rather than one per shard: each PGlite costs ~300 MB and ~0.5 s to open (DESIGN.md).
// PGlite runs one statement at a time, so shards share its single connection; a lock file keeps a second
// process from opening the same directory (PGlite itself would let it, and corrupt the data). The database the
// server opens runs on a worker thread of its own (pglite-thread.ts); one a test opened and attaches runs on its thread.
import type { PGlite } from '@electric-sql/pglite';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UnavailableError } from '../../errors.js';
import { DEFAULT_DISK_GUARD_OPTIONS as DEFAULT_DISK_GUARD, DiskGuard, type DiskGuardOptions } from './disk-guard.js';
import { InThreadPglite, type PgliteEngine } from './pglite-engine.js';
import { PgliteThread } from './pglite-thread.js';
import type { Lease, Row, SqlCluster, SqlExecutor, SqlShard } from './sql-port.js';

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

  constructor(private readonly engine: PgliteEngine, readonly index: number, schemaPrefix: string, private readonly guard?: DiskGuard) {
    this.label = `embedded shard ${index}`;
    this.setPath = `SET LOCAL search_path TO ${shardSchema(index, schemaPrefix)}`;
  }

  /** Runs a call on the engine: refused while the disk guard says the data dir is full; failures mapped by `fail`. */
  private async run<T>(work: () => Promise<T>): Promise<T> {
    this.guard?.assertWritable();
    try {
      return await work();
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): never {
    if (this.engine.closed) throw new UnavailableError(`${this.label} is closed`, { cause: err });
    // File-system errors (disk full, read-only directory) come from the wasm runtime as ErrnoError.
    const errno = (err as { errno?: unknown; code?: unknown } | null)?.errno;
    if (typeof errno === 'number' || (err as { name?: string } | null)?.name === 'ErrnoError') {
      throw new UnavailableError(`${this.label} cannot write its data dir: ${(err as Error).message ?? String(err)}`, { cause: err });
    }
    throw err;
  }

  query<R extends object = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
    return this.run(() => this.engine.query<R>(this.setPath, text, params));
  }

  /** One process owns the embedded database (the lock file), so within it a lease is a plain flag. */
  async tryLease(key: number): Promise<Lease | undefined> {
    if (this.leases.has(key)) return undefined;
    this.leases.add(key);
    let held = true;
    return {
      held: () => held && !this.engine.closed,
      release: async () => {
        if (held) this.leases.delete(key);
        held = false;
      },
    };
  }

  exec(script: string): Promise<void> {
    return this.run(() => this.engine.exec(this.setPath, script));
  }

  /** Explicit transactions carry the appends (group commit): their commit records are flushed to the disk. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.run(() => this.engine.transaction(this.setPath, true, fn));
  }
}

export class PgliteCluster implements SqlCluster {
  readonly kind = 'pglite' as const;
  readonly replicas: undefined[];

  private constructor(
    private readonly engine: PgliteEngine,
    readonly shards: PgliteShard[],
    private readonly lockFile: string | undefined,
    private readonly dir: string,
    private readonly ownsDb: boolean,
    private readonly guard?: DiskGuard,
  ) {
    this.replicas = shards.map(() => undefined);
  }

  /** Resolves while the data dir can take writes; rejects with the reason otherwise (readiness). */
  async checkDisk(): Promise<void> {
    const problem = this.guard?.check();
    if (problem) throw new UnavailableError(problem);
  }

  /** Uses an already open PGlite (which the caller keeps and closes) for `shardCount` shard schemas. */
  static async attach(db: PGlite, shardCount: number, options: PgliteClusterOptions = {}): Promise<PgliteCluster> {
    const prefix = options.schemaPrefix ?? '';
    if (!/^[a-z0-9_]*$/.test(prefix)) throw new Error(`schema prefix "${prefix}" may only hold a-z 0-9 _`);
    for (let i = 0; i < shardCount; i++) await db.exec(`CREATE SCHEMA IF NOT EXISTS ${shardSchema(i, prefix)}`);
    const engine = new InThreadPglite(db);
    const shards = Array.from({ length: shardCount }, (_, i) => new PgliteShard(engine, i, prefix));
    return new PgliteCluster(engine, shards, undefined, 'attached', false);
  }

  /** Opens (creating if needed) the embedded database. `dataDir` undefined keeps everything in memory. */
  static async open(dataDir: string | undefined, shardCount: number, disk?: Partial<DiskGuardOptions>): Promise<PgliteCluster> {
    let lockFile: string | undefined;
    let dir = 'memory';
    let guard: DiskGuard | undefined;
    if (dataDir !== undefined) {
      try {
        mkdirSync(dataDir, { recursive: true });
        lockFile = join(dataDir, 'realmstate.lock');
        takeLock(lockFile);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EROFS' || code === 'EACCES' || code === 'ENOSPC') throw new Error(`cannot write the data dir ${dataDir} (${code}); make it writable or set REALMSTATE_DATA_DIR`, { cause: err });
        throw err;
      }
      dir = join(dataDir, 'pglite');
      guard = new DiskGuard(dataDir, { ...DEFAULT_DISK_GUARD, ...disk });
      const problem = guard.check();
      if (problem) {
        guard.stop();
        rmSync(lockFile, { force: true });
        throw new Error(`cannot start the embedded database: ${problem}`);
      }
    }
    try {
      // On a thread of its own, so its statements run beside the event loop, not on it.
      const engine = await PgliteThread.open(dataDir === undefined ? undefined : dir);
      try {
        for (let i = 0; i < shardCount; i++) await engine.exec('SET LOCAL search_path TO public', `CREATE SCHEMA IF NOT EXISTS ${shardSchema(i)}`);
      } catch (err) {
        await engine.close(true);
        throw err;
      }
      const shards = Array.from({ length: shardCount }, (_, i) => new PgliteShard(engine, i, '', guard));
      return new PgliteCluster(engine, shards, lockFile, dir, true, guard);
    } catch (err) {
      guard?.stop();
      if (lockFile) rmSync(lockFile, { force: true });
      throw err;
    }
  }

  describe(): string {
    return `embedded PGlite (${this.dir}), ${this.shards.length} shard schemas`;
  }

  async close(): Promise<void> {
    this.guard?.stop();
    // Closing writes a checkpoint, which would hang on a full disk; the WAL already holds every commit.
    if (this.ownsDb) await this.engine.close((this.guard?.check() ?? undefined) !== undefined);
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
