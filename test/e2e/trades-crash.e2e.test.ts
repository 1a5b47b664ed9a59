// Random trades among 50 players on 4 PostgreSQL shards from two server processes, with a kill -9 of one and a cut of
// one shard's connections in the middle (test/helpers/trade-soak.ts has the checks). REALMSTATE_TEST_TRADES sets the
// number of trades (default 200; 1000 for the soak).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PgCluster } from '../../src/backends/postgres/index.js';
import { EconomyBooks } from '../../src/economy/index.js';
import { silentLogger } from '../../src/log.js';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { createDatabases, PG_ADMIN_URL } from '../helpers/backends.js';
import { deleteStream, NATS_URL, uniqueStream } from '../helpers/nats.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { drive, randomTrades, seedPlayers, verify } from '../helpers/trade-soak.js';

describe('trades through crashes on PostgreSQL', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });
  const tempDir = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    cleanups.push(async () => rmSync(d, { recursive: true, force: true }));
    return d;
  };

  const pgTrades = Number(process.env.REALMSTATE_TEST_TRADES ?? 200);
  it(`PostgreSQL, two processes, kill -9 and a shard cut: ${pgTrades} trades settle or roll back, and the books balance`, async () => {
    const dbs = await createDatabases(4);
    cleanups.push(dbs.drop);
    const proxy = await new TcpProxy('127.0.0.1', Number(new URL(PG_ADMIN_URL).port || 5432)).start();
    cleanups.push(() => proxy.cut());
    const urls = [...dbs.urls];
    urls[2] = proxy.url(dbs.names[2] as string);
    const nats = uniqueStream();
    cleanups.push(() => deleteStream(nats.stream));
    const env = { DATABASE_URLS: urls.join(','), NATS_URL, REALMSTATE_NATS_STREAM: nats.stream, REALMSTATE_NATS_SUBJECT_PREFIX: nats.subjectPrefix };
    const doomed = await startServerProcess({ ...env, REALMSTATE_DATA_DIR: tempDir('rs-trade-a-') });
    const survivor = await startServerProcess({ ...env, REALMSTATE_DATA_DIR: tempDir('rs-trade-b-') });
    for (const s of [doomed, survivor]) cleanups.push(async () => void s.child.kill('SIGKILL'));
    await seedPlayers(survivor.url);
    const trades = randomTrades(pgTrades, 1017);
    const alive = (s: ServerProcess) => s.child.exitCode === null && s.child.signalCode === null;
    const seen = await drive(trades, (w) => (w % 2 === 0 && alive(doomed) ? doomed : survivor), (s) => s === doomed, async () => {
      await proxy.cut();
      await new Promise((r) => setTimeout(r, 1500));
      doomed.child.kill('SIGKILL');
      await proxy.restore();
    });
    await doomed.exited;
    expect(seen.get('200') ?? 0, JSON.stringify([...seen])).toBeGreaterThan(pgTrades / 5);
    const books = await verify(survivor.url, trades).catch((err: unknown) => {
      // The survivor's warnings say why a trade did not finish (its recovery logs each failed attempt).
      const warnings = survivor.output().split('\n').filter((l) => /"level":(40|50)/.test(l));
      throw new Error(`${(err as Error).message}\nsurvivor's last warnings:\n${warnings.slice(-5).join('\n')}`);
    });
    // The library's rebuild reads the shards directly and agrees.
    const cluster = new PgCluster(dbs.urls);
    cleanups.push(() => cluster.close());
    expect(await new EconomyBooks(cluster, new ShardRouter(SlotMap.even(4)), silentLogger).rebuild()).toEqual(books);
  }, 300_000);

});
