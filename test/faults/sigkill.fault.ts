// SIGKILL of the Realmstate process under load, five times in a row: every acknowledged append survives.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { createDatabases } from '../helpers/backends.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { closeBooks } from './support/books.js';
import { audit, GameLoad, QUICK, sleep } from './support/load.js';
import { freePort } from './support/private-postgres.js';

describe('fault: SIGKILL under load, five times', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it.each(['postgres', 'embedded'] as const)('loses nothing acknowledged (%s)', async (kind) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rs-fault-kill-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = { REALMSTATE_DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: 'info' };
    if (kind === 'postgres') {
      const dbs = await createDatabases(4);
      cleanups.push(dbs.drop);
      env.DATABASE_URLS = dbs.urls.join(',');
    }
    let server: ServerProcess = await startServerProcess(env);
    cleanups.push(async () => void server.child.kill('SIGKILL'));
    const load = new GameLoad(() => server.url, { players: 100, prefix: `kill-${kind}` });
    load.start(24);
    let worstRecovery = 0;
    for (let round = 0; round < 5; round++) {
      await sleep(QUICK ? 800 : 3000);
      server.child.kill('SIGKILL');
      await server.exited;
      const killedAt = Date.now();
      server = await startServerProcess(env);
      worstRecovery = Math.max(worstRecovery, (Date.now() - killedAt) / 1000);
    }
    await sleep(QUICK ? 500 : 2000);
    await load.stop();
    const books = await audit(server.url, load);
    closeBooks({ scenario: `SIGKILL ×5 under load (${kind})`, ...books, recoverSeconds: worstRecovery, note: `${books.unacknowledged} in-flight appends landed unacknowledged` });
  });
});
