// One PostgreSQL shard (a private cluster) down for a while under load: its players get 503, the other shards
// keep working, and when it is back nothing acknowledged is lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { createDatabases } from '../helpers/backends.js';
import { postJson, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { closeBooks } from './support/books.js';
import { audit, GameLoad, QUICK, sleep, waitFor } from './support/load.js';
import { freePort, PrivatePostgres } from './support/private-postgres.js';

describe('fault: one PostgreSQL shard down', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('fails only its players with 503 and loses nothing acknowledged', async () => {
    const own = await PrivatePostgres.create();
    cleanups.push(() => own.destroy());
    const [shard0] = await own.createDatabases(['shard0']);
    const shared = await createDatabases(3);
    cleanups.push(shared.drop);
    const dataDir = mkdtempSync(join(tmpdir(), 'rs-fault-shard-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env = { REALMSTATE_DATA_DIR: dataDir, PORT: String(await freePort()), DATABASE_URLS: [shard0, ...shared.urls].join(',') };
    const server: ServerProcess = await startServerProcess(env);
    cleanups.push(async () => void server.child.kill('SIGKILL'));
    const router = new ShardRouter(SlotMap.even(4));

    const load = new GameLoad(() => server.url, { players: 120, prefix: 'shard' });
    load.start(24);
    await sleep(QUICK ? 1000 : 3000);
    const downSeconds = QUICK ? 3 : 10;
    await own.stop('immediate');
    const downAt = Date.now();
    // While it is down: its players get 503 (fast), the others 200.
    const onDown = load.players.find((p) => router.shardOf(p) === 0) as string;
    const onUp = load.players.find((p) => router.shardOf(p) === 1) as string;
    const event = { events: [{ type: 'stat.add', data: { stat: 'probe', amount: 1 } }] };
    await sleep(500);
    if (server.child.exitCode !== null) throw new Error(`the server died:\n${server.output().slice(-3000)}`);
    expect((await postJson(`${server.url}/v1/players/${onDown}/events`, event)).status).toBe(503);
    expect((await postJson(`${server.url}/v1/players/${onUp}/events`, event)).status).toBe(200);
    await sleep(Math.max(0, downSeconds * 1000 - (Date.now() - downAt)));
    await own.start();
    const recoverSeconds = await waitFor(async () => (await postJson(`${server.url}/v1/players/${onDown}/events`, event)).status === 200);
    await sleep(QUICK ? 500 : 2000);
    await load.stop();
    expect(load.count(503)).toBeGreaterThan(0);
    const books = await audit(server.url, load);
    closeBooks({ scenario: `one shard down ${downSeconds} s`, ...books, recoverSeconds, note: `${load.count(503)} requests answered 503 while it was down` });
  });
});
