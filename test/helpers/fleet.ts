// Starts a fleet of `realmstate serve` processes on shared PostgreSQL and Redis, each announcing its own address.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivatePostgres } from '../faults/support/private-postgres.js';
import { deleteKeys, REDIS_TEST_URL, uniquePrefix } from './redis.js';
import { adminHeaders, getJson, headers, startServerProcess, type ServerProcess } from './server-process.js';

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
  // A PostgreSQL of the test's own: a few instances with a pool per shard would take most of the shared server's
  // connections, which the other suites need too.
  const pgc = await PrivatePostgres.create();
  const dbUrls = await pgc.createDatabases(['fleet_0', 'fleet_1']);
  const prefix = uniquePrefix();
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const env = { DATABASE_URLS: dbUrls.join(','), REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix, ...extraEnv };
  const add = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-fleet-'));
    dirs.push(dir);
    const port = await freePort();
    const server = await startServerProcess({ ...env, PORT: String(port), REALMSTATE_ADVERTISE_URL: `http://127.0.0.1:${port}`, REALMSTATE_DATA_DIR: dir });
    servers.push(server);
    return server;
  };
  // The first alone: its migrations create the tables the others join.
  await add();
  await Promise.all(Array.from({ length: count - 1 }, () => add()));
  return {
    env,
    servers,
    add,
    cleanup: async () => {
      for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await Promise.all(servers.map((s) => s.exited));
      await pgc.destroy();
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

// Load of the fleet tests: a few hot players, `batched` and `sync` appends, reads checked against the last acknowledged write.
export const PLAYERS = ['fleet-a', 'fleet-b', 'fleet-c', 'fleet-d', 'fleet-e'];

/** Which instance answers at each address (the header every response carries). */
export async function instanceIds(urls: readonly string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const url of urls) ids.set(url, (await fetch(`${url}/healthz`)).headers.get('x-realmstate-instance') ?? '');
  return ids;
}

export interface Outcome {
  /** Per player: every acknowledged seq (with its durability). */
  acked: Map<string, Array<{ seq: number; durability: string }>>;
  failures: string[];
  staleReads: string[];
  /** Answers that came from another instance than the one the client sent the request to. */
  forwarded: number;
}

async function appendOne(url: string, id: string, durability: string): Promise<{ status: number; body: Record<string, unknown>; instance: string | null }> {
  const res = await fetch(`${url}/v1/players/${id}/events`, { method: 'POST', headers, body: JSON.stringify({ durability, events: [{ type: 'stat.add', data: { stat: 'n', amount: 1 } }] }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, instance: res.headers.get('x-realmstate-instance') };
}

/** Workers send each request (`servedBy`: which instances answered for each player) to the next instance in turn, as a round-robin load balancer does. */
export async function hammer(urls: () => string[], workers: number, perWorker: number, retry503: boolean, out: Outcome, servedBy?: Map<string, Set<string>>, ids?: Map<string, string>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const lastAcked = new Map<string, number>();
      for (let i = 0; i < perWorker; i++) {
        const id = PLAYERS[(w + i) % PLAYERS.length] as string;
        const durability = (w + i) % 2 === 0 ? 'batched' : 'sync';
        for (;;) {
          const list = urls();
          const url = list[next++ % list.length] as string;
          let res;
          try {
            res = await appendOne(url, id, durability);
          } catch (err) {
            if (retry503) continue; // the instance just died under us: the request never got an answer
            throw err;
          }
          if (res.instance && servedBy) servedBy.set(id, (servedBy.get(id) ?? new Set()).add(res.instance));
          if (res.instance && ids && ids.get(url) !== res.instance) out.forwarded++;
          if (res.status === 503 && retry503) continue;
          if (res.status !== 200) out.failures.push(`${res.status} ${JSON.stringify(res.body)}`);
          else {
            const seq = res.body.seq as number;
            (out.acked.get(id) as Array<{ seq: number; durability: string }>).push({ seq, durability });
            lastAcked.set(id, seq);
          }
          break;
        }
        if (i % 5 === 4) {
          const list = urls();
          const read = await getJson(`${list[next++ % list.length] as string}/v1/players/${id}`).catch(() => undefined);
          if (read && read.status === 200 && (read.body.seq as number) < (lastAcked.get(id) ?? 0)) out.staleReads.push(`${id}: read ${String(read.body.seq)} after ack ${lastAcked.get(id)}`);
        }
      }
    }),
  );
}

export const newOutcome = (): Outcome => ({ acked: new Map(PLAYERS.map((p) => [p, []])), failures: [], staleReads: [], forwarded: 0 });

export async function finalSeq(url: string, id: string): Promise<number> {
  const read = await getJson(`${url}/v1/players/${id}?consistency=strong`);
  return read.body.seq as number;
}
