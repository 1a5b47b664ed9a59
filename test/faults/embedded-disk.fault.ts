// The embedded mode on a disk that fills up, and on a data dir that is read-only at start: writes get a clear 503
// (the server stays up) or the start stops with a clear error, and after recovery the data is intact.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getJson, postJson, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { closeBooks } from './support/books.js';
import { audit, GameLoad, QUICK, sleep, waitFor } from './support/load.js';
import { freePort } from './support/private-postgres.js';

function canMount(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'rs-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const mountable = canMount();

describe.skipIf(!mountable)('fault: embedded data dir full, then read-only', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('answers 503 while the disk is full, refuses a read-only start, and keeps every acknowledged event', async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'rs-fault-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=200m', 'tmpfs', mnt]);
    cleanups.push(async () => {
      execFileSync('umount', ['-l', mnt]);
      rmSync(mnt, { recursive: true, force: true });
    });
    const dataDir = join(mnt, 'data');
    mkdirSync(dataDir);
    const env = { REALMSTATE_DATA_DIR: dataDir, PORT: String(await freePort()), REALMSTATE_MIN_FREE_DISK_MB: '32' };
    let server: ServerProcess = await startServerProcess(env);
    cleanups.push(async () => void server.child.kill('SIGKILL'));
    const load = new GameLoad(() => server.url, { players: 50, prefix: 'disk' });
    load.start(8);
    await sleep(QUICK ? 1000 : 3000);

    // Something else fills the disk, leaving less than the margin.
    const s = statfsSync(mnt);
    const ballast = join(mnt, 'ballast');
    writeFileSync(ballast, Buffer.alloc(Math.max(0, s.bavail * s.bsize - 16 * 2 ** 20)));
    const probe = { events: [{ type: 'stat.add', data: { stat: 'probe', amount: 1 } }] };
    await waitFor(async () => (await postJson(`${server.url}/v1/players/disk-probe/events`, probe)).status === 503, 10_000);
    const refused = await postJson(`${server.url}/v1/players/disk-probe/events`, probe);
    expect(refused.body).toMatchObject({ error: { code: 'unavailable' } });
    expect(String((refused.body.error as { message: string }).message)).toMatch(/data dir .* free/);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await getJson(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body.backends).toMatchObject({ 'data-dir': 'down' });
    await sleep(QUICK ? 500 : 2000);

    rmSync(ballast);
    const freedAt = Date.now();
    await waitFor(async () => (await postJson(`${server.url}/v1/players/disk-probe/events`, probe)).status === 200, 10_000);
    const recoverSeconds = (Date.now() - freedAt) / 1000;
    await sleep(QUICK ? 500 : 2000);
    await load.stop();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    // Read-only at start: a clear refusal, not a half-started server.
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    const refusedStart = await startServerProcess(env, 30_000).then(
      (p) => {
        p.child.kill('SIGKILL');
        return 'started';
      },
      (err: Error) => err.message,
    );
    expect(refusedStart).toMatch(/cannot write the data dir .*EROFS/);
    execFileSync('mount', ['-o', 'remount,rw', mnt]);

    server = await startServerProcess(env);
    const books = await audit(server.url, load);
    expect(load.count(503)).toBeGreaterThan(0);
    closeBooks({ scenario: 'embedded disk full, then read-only', ...books, recoverSeconds, note: `${load.count(503)} appends answered 503 while the disk was full` });
  });
});
