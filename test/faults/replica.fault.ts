// A streaming replica (pg_basebackup -R) that lags (replay paused) and then goes down, under load: reads fall back
// to the primary and are never older than an acknowledged write; writes are not affected.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeys, REDIS_TEST_URL, uniquePrefix } from '../helpers/redis.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { closeBooks } from './support/books.js';
import { audit, GameLoad, QUICK, sleep, waitFor } from './support/load.js';
import { freePort, PrivatePostgres } from './support/private-postgres.js';

describe('fault: replica lagging, then down', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('never serves a read older than an acknowledged write', async () => {
    const primary = await PrivatePostgres.create();
    cleanups.push(() => primary.destroy());
    const names = ['s0', 's1'];
    const urls = await primary.createDatabases(names);
    const replica = await primary.createReplica();
    cleanups.push(() => replica.destroy());
    const replicaUrls = names.map((n) => replica.url(n));
    const prefix = uniquePrefix();
    cleanups.push(() => deleteKeys(prefix));
    const dirs = [mkdtempSync(join(tmpdir(), 'rs-fault-rw-')), mkdtempSync(join(tmpdir(), 'rs-fault-rr-'))];
    cleanups.push(async () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    const common = { DATABASE_URLS: urls.join(','), DATABASE_REPLICA_URLS: replicaUrls.join(','), REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix };
    const writer: ServerProcess = await startServerProcess({ ...common, REALMSTATE_DATA_DIR: dirs[0] as string, PORT: String(await freePort()) });
    cleanups.push(async () => void writer.child.kill('SIGKILL'));
    // The reader holds nothing in memory and its cache entries expire fast, so it reads the replica often.
    const reader: ServerProcess = await startServerProcess({ ...common, REALMSTATE_DATA_DIR: dirs[1] as string, PORT: String(await freePort()), REALMSTATE_CACHE_TTL_MS: '50' });
    cleanups.push(async () => void reader.child.kill('SIGKILL'));

    let stale = 0;
    let reads = 0;
    const load = new GameLoad(() => writer.url, { players: 400, prefix: 'replica', readUrl: () => reader.url });
    load.onRead = (_id, seq, ackedBefore) => {
      reads++;
      if (seq < ackedBefore) stale++;
    };
    const sources = async () => (await (await fetch(`${reader.url}/metrics`)).text()).match(/realmstate_player_reads_total\{source="(\w+)"\} (\d+)/g) ?? [];
    load.start(16);
    const phase = QUICK ? 1500 : 5000;
    await sleep(phase);
    await replica.query('SELECT pg_wal_replay_pause()');
    await sleep(phase);
    await replica.stop('immediate');
    await sleep(phase);
    await replica.start();
    await replica.query('SELECT pg_wal_replay_resume()').catch(() => {});
    const recoverSeconds = await waitFor(async () => (await fetch(`${reader.url}/readyz`)).status === 200);
    await sleep(phase);
    await load.stop();
    const books = await audit(writer.url, load);
    const served = await sources();
    closeBooks({ scenario: 'replica lagging, then down', ...books, recoverSeconds, note: `${reads} reads, ${stale} older than an acknowledged write; served by ${served.join(', ')}` });
    expect(reads).toBeGreaterThan(100);
    expect(stale).toBe(0);
    expect(served.some((s) => s.includes('replica'))).toBe(true);
    expect(load.count('read 503')).toBe(0);
  });
});
