// A PostgreSQL cluster of the test's own (initdb on another port), which a fault scenario may stop, crash and
// start again without touching the machine's shared server. PostgreSQL refuses to run as root, so every
// command runs as the `postgres` user.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function asPostgres(cmd: string, args: string[]): Promise<string> {
  const asRoot = process.getuid?.() === 0;
  const { stdout } = asRoot ? await run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : await run(cmd, args);
  return stdout;
}

/** A temporary directory the `postgres` user owns (when we are root). */
function ownedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  return dir;
}

export class PrivatePostgres {
  readonly dataDir: string;
  port = 0;

  private maxConnections = 200;

  private constructor(dataDir: string, readonly replicaOf?: PrivatePostgres) {
    this.dataDir = dataDir;
  }

  /** initdb + start; `maxConnections` for scenarios that run several servers on many shards (default 200). */
  static async create(options: { maxConnections?: number } = {}): Promise<PrivatePostgres> {
    const pgc = new PrivatePostgres(ownedTempDir('rs-pg-'));
    pgc.maxConnections = options.maxConnections ?? 200;
    await asPostgres('initdb', ['-D', pgc.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    pgc.port = await freePort();
    await pgc.start();
    return pgc;
  }

  /** A streaming replica of this cluster (pg_basebackup -R), started on its own port. */
  async createReplica(): Promise<PrivatePostgres> {
    const replica = new PrivatePostgres(ownedTempDir('rs-pg-replica-'), this);
    rmSync(replica.dataDir, { recursive: true, force: true });
    await asPostgres('pg_basebackup', ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-D', replica.dataDir, '-R', '-X', 'stream', '-c', 'fast']);
    replica.port = await freePort();
    await replica.start();
    return replica;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.dataDir, '-w', '-l', join(this.dataDir, 'server.log'), '-o', `-p ${this.port} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=${this.maxConnections}`, 'start']);
  }

  /** `immediate` is a crash (no checkpoint); `fast` a clean stop. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.dataDir, '-w', '-m', mode, 'stop']).catch(() => {});
  }

  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  async createDatabases(names: string[]): Promise<string[]> {
    for (const n of names) await this.query(`CREATE DATABASE ${n}`);
    return names.map((n) => this.url(n));
  }

  async destroy(): Promise<void> {
    await this.stop('immediate');
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
