// Starts a fleet of `realmstate serve` processes on shared PostgreSQL and Redis, each announcing its own address.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabases } from './backends.js';
import { deleteKeys, REDIS_TEST_URL, uniquePrefix } from './redis.js';
import { adminHeaders, startServerProcess, type ServerProcess } from './server-process.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface TestFleet {
  env: Record<string, string>;
  servers: ServerProcess[];
  /** Starts one more instance on the same backends. */
  add: () => Promise<ServerProcess>;
  cleanup: () => Promise<void>;
}

export async function startFleet(count: number, extraEnv: Record<string, string> = {}): Promise<TestFleet> {
  const dbs = await createDatabases(2);
  const prefix = uniquePrefix();
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const env = { DATABASE_URLS: dbs.urls.join(','), REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix, ...extraEnv };
  const add = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-fleet-'));
    dirs.push(dir);
    const port = await freePort();
    const server = await startServerProcess({ ...env, PORT: String(port), REALMSTATE_ADVERTISE_URL: `http://127.0.0.1:${port}`, REALMSTATE_DATA_DIR: dir });
    servers.push(server);
    return server;
  };
  // One after the other: the migrations of the first create the fleet tables the others join.
  for (let i = 0; i < count; i++) await add();
  return {
    env,
    servers,
    add,
    cleanup: async () => {
      for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await Promise.all(servers.map((s) => s.exited));
      await dbs.drop();
      await deleteKeys(prefix);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

export async function instances(url: string): Promise<Array<{ id: string; url: string | null; slots: number }>> {
  const res = await fetch(`${url}/v1/admin/instances`, { headers: adminHeaders });
  return ((await res.json()) as { instances: Array<{ id: string; url: string | null; slots: number }> }).instances;
}

/** `realmstate_batched_dropped_total` of one instance. */
export async function batchedDropped(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^realmstate_batched_dropped_total (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}
