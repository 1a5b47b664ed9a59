// The realmstate CLI as a user runs it: migrate, replay, and a clear refusal of bad settings.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgCluster } from '../../src/backends/postgres/index.js';
import { createDatabases } from '../helpers/backends.js';
import { startTestRealm } from '../helpers/realm.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/realmstate.js', import.meta.url));

describe('realmstate CLI', () => {
  let dbs: Awaited<ReturnType<typeof createDatabases>>;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dbs = await createDatabases(2);
    dataDir = mkdtempSync(join(tmpdir(), 'realmstate-cli-'));
    env = { ...process.env, DATABASE_URLS: dbs.urls.join(','), REALMSTATE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await dbs.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates, then says the shards are up to date', async () => {
    const first = await run(process.execPath, [BIN, 'migrate'], { env });
    expect(first.stdout).toMatch(/shard 0: 0001-players\.sql/);
    const second = await run(process.execPath, [BIN, 'migrate'], { env });
    expect(second.stdout).toBe('shard 0: up to date\nshard 1: up to date\n');
  });

  it('replays a player to its latest seq or to --seq N', async () => {
    const cluster = new PgCluster(dbs.urls);
    const t = await startTestRealm('postgres', { cluster: { cluster, reopen: async () => cluster, urls: dbs.urls, databases: dbs.names, cleanup: async () => {} } });
    await t.realm.players.append('hero', [{ type: 'stat.add', data: { stat: 'xp', amount: 5 } }]);
    await t.realm.players.append('hero', [{ type: 'item.grant', data: { item: 'shield', qty: 2 } }]);
    await t.close();
    const latest = JSON.parse((await run(process.execPath, [BIN, 'replay', 'hero'], { env })).stdout);
    expect(latest).toMatchObject({ playerId: 'hero', seq: 2, stats: { xp: 5 }, items: { shield: 2 } });
    const first = JSON.parse((await run(process.execPath, [BIN, 'replay', 'hero', '--seq', '1'], { env })).stdout);
    expect(first).toMatchObject({ seq: 1, stats: { xp: 5 }, items: {} });
    await expect(run(process.execPath, [BIN, 'replay', 'nobody'], { env })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/not found/) });
  });

  it('refuses bad settings with a message naming the variable', async () => {
    const err = await run(process.execPath, [BIN, 'serve'], { env: { ...env, REALMSTATE_SHARDS: '0', DATABASE_URLS: '', PORT: 'x' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(/REALMSTATE_SHARDS: "0" must be an integer ≥ 1/);
    expect((err as { stderr: string }).stderr).toMatch(/PORT/);
  });
});
