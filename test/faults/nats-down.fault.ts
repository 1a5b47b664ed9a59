// NATS down for a while under load: appends keep succeeding, the outbox drains afterwards, and every event is
// published exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabases } from '../helpers/backends.js';
import { PrivateNats, readStream, streamCount } from '../helpers/nats.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { closeBooks } from './support/books.js';
import { audit, GameLoad, QUICK, sleep, waitFor } from './support/load.js';
import { freePort } from './support/private-postgres.js';

describe('fault: NATS down', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('drains the outbox afterwards and publishes every event once', async () => {
    const nats = await new PrivateNats().start();
    cleanups.push(() => nats.destroy());
    const dbs = await createDatabases(4);
    cleanups.push(dbs.drop);
    const dataDir = mkdtempSync(join(tmpdir(), 'rs-fault-nats-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env = { REALMSTATE_DATA_DIR: dataDir, PORT: String(await freePort()), DATABASE_URLS: dbs.urls.join(','), NATS_URL: nats.url, REALMSTATE_NATS_STREAM: 'FAULTS', REALMSTATE_NATS_SUBJECT_PREFIX: 'faults.events' };
    const server: ServerProcess = await startServerProcess(env);
    cleanups.push(async () => void server.child.kill('SIGKILL'));

    const load = new GameLoad(() => server.url, { players: 100, prefix: 'nats' });
    load.start(16);
    await sleep(QUICK ? 1000 : 3000);
    const downSeconds = QUICK ? 5 : 30;
    await nats.stop();
    await sleep(downSeconds * 1000);
    await nats.start();
    const backAt = Date.now();
    await sleep(QUICK ? 500 : 2000);
    await load.stop();
    const books = await audit(server.url, load);
    expect(load.count(200)).toBeGreaterThan(0);
    expect(load.count(503)).toBe(0);
    // Every event in the logs (acknowledged or landed in flight): 2 per request.
    const expected = 2 * (books.acknowledged + books.unacknowledged);
    await waitFor(async () => (await streamCount('FAULTS', nats.url)) >= expected, 120_000);
    const recoverSeconds = (Date.now() - backAt) / 1000;
    await sleep(500);
    const messages = await readStream('FAULTS', nats.url);
    const ids = new Set(messages.map((m) => m.msgId));
    closeBooks({
      scenario: `NATS down ${downSeconds} s`,
      acknowledged: books.acknowledged,
      found: books.found,
      lost: books.lost + (expected - ids.size > 0 ? expected - ids.size : 0),
      duplicated: books.duplicated + (messages.length - ids.size),
      recoverSeconds,
      note: `${messages.length} events published for ${expected} in the logs; recovery = outbox drained after NATS came back`,
    });
  });
});
