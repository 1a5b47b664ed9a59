// The Game config routes of API.md through the HTTP layer, with a real file being rewritten under the server.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { createRealm } from '../../src/realm.js';
import { loadSettings } from '../../src/settings.js';
import { adminAuth, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { REDIS_URL, waitFor } from '../helpers/wait.js';

const EXAMPLE = readFileSync(new URL('../../examples/game-config.yaml', import.meta.url), 'utf8');

describe('game config API', () => {
  let t: TestRealm;
  let dir: string;
  let file: string;
  const get = (url: string, headers: Record<string, string> = auth) => t.app.inject({ method: 'GET', url, headers });
  const post = (url: string, headers: Record<string, string> = adminAuth) => t.app.inject({ method: 'POST', url, headers });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'realmstate-config-api-'));
    file = join(dir, 'game.yaml');
    writeFileSync(file, EXAMPLE);
    t = await startTestRealm('pglite', { shards: 1, env: { REALMSTATE_CONFIG: file } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /v1/config serves the file', async () => {
    const res = await get('/v1/config');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['config', 'hash', 'loadedAt', 'version']);
    expect(body).toMatchObject({ version: 7, hash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(Date.parse(body.loadedAt)).not.toBeNaN();
    expect(body.config.tuning.xpPerKill).toBe(10);
    expect(body.config.leaderboards[0]).toEqual({ id: 'arena', order: 'desc', operator: 'best', reset: 'weekly', regions: ['eu', 'na'] });
    expect(body.config.limits.rateLimits).toEqual({ perKeyPerSecond: 50000, perPlayerPerSecond: 20, burst: 50 });
  });

  it("GET /v1/config?playerId= merges the player's variants", async () => {
    // Known answers (test/unit/experiments.unit.test.ts): p1 → xp-boost boosted, loot-table control; p2 → control, generous.
    const p1 = (await get('/v1/config?playerId=p1')).json();
    expect(p1.experiments).toEqual({ 'xp-boost': 'boosted', 'loot-table': 'control' });
    expect(p1.config.tuning.xpPerKill).toBe(15);
    expect(p1.config.tuning.dropRates).toEqual({ common: 0.7, rare: 0.25, epic: 0.05 });
    const p2 = (await get('/v1/config?playerId=p2')).json();
    expect(p2.experiments).toEqual({ 'xp-boost': 'control', 'loot-table': 'generous' });
    expect(p2.config.tuning.xpPerKill).toBe(10);
    expect(p2.config.tuning.dropRates).toEqual({ common: 0.7, rare: 0.3, epic: 0.1 });
    expect(p2.hash).toBe(p1.hash);
    const bad = await get('/v1/config?playerId=no%20spaces');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_argument');
  });

  it('status and reload are admin routes', async () => {
    expect((await get('/v1/config', {})).statusCode).toBe(401);
    expect((await get('/v1/config/status')).statusCode).toBe(403);
    expect((await post('/v1/config/reload', auth)).statusCode).toBe(403);
    const status = await get('/v1/config/status', adminAuth);
    expect(status.statusCode).toBe(200);
    expect(Object.keys(status.json()).sort()).toEqual(['hash', 'lastError', 'loadedAt', 'reloads', 'version']);
  });

  it('POST /v1/config/reload: 422 with the reason for a bad file, the old config staying; 200 for a good one', async () => {
    const before = (await get('/v1/config')).json();
    writeFileSync(file, EXAMPLE.replace('perPlayerPerSecond: 20', 'perPlayerPerSecond: lots'));
    const rejected = await post('/v1/config/reload');
    expect(rejected.statusCode).toBe(422);
    const line = EXAMPLE.split('\n').findIndex((l) => l.includes('perPlayerPerSecond')) + 1;
    expect(rejected.json().error).toEqual({ code: 'rejected', message: expect.stringContaining(`game.yaml: line ${line}, limits.rateLimits.perPlayerPerSecond: `) });
    expect((await get('/v1/config')).json()).toEqual(before);
    const status = (await get('/v1/config/status', adminAuth)).json();
    expect(status.lastError).toEqual({ message: rejected.json().error.message, at: expect.any(String) });

    writeFileSync(file, EXAMPLE.replace('version: 7', 'version: 8'));
    const ok = await post('/v1/config/reload');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ version: 8, lastError: null });
    expect(ok.json().hash).not.toBe(before.hash);
  });

  it('a write is visible through the API within 1 s', async () => {
    for (const version of [9, 10, 11]) {
      writeFileSync(file, EXAMPLE.replace('version: 7', `version: ${version}`).replace('xpPerKill: 10', `xpPerKill: ${version}`));
      const deadline = Date.now() + 1000;
      let body: { version: number; config: { tuning: { xpPerKill: number } } } | undefined;
      while (Date.now() < deadline) {
        body = (await get('/v1/config')).json();
        if (body?.version === version) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(body?.version, `version ${version} within 1 s of the write`).toBe(version);
      expect(body?.config.tuning.xpPerKill).toBe(version);
    }
  });

  it('exports the reload counters and the live hash on /metrics', async () => {
    const { hash, version } = (await get('/v1/config')).json();
    const text = (await get('/metrics', {})).body;
    expect(text).toContain(`realmstate_config_info{hash="${hash}",version="${version}"} 1`);
    expect(text).toMatch(/realmstate_config_reloads_total\{result="ok"\} [1-9]/);
    expect(text).toMatch(/realmstate_config_reloads_total\{result="invalid"\} [1-9]/);
  });

  it('lists the config routes in the OpenAPI document', async () => {
    const doc = (await get('/openapi.json', {})).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/config', '/v1/config/status', '/v1/config/reload']));
  });
});

describe('game config in the realm', () => {
  it('serves the built-in config without REALMSTATE_CONFIG', async () => {
    const t = await startTestRealm('pglite', { shards: 1 });
    try {
      const body = (await t.app.inject({ method: 'GET', url: '/v1/config', headers: auth })).json();
      expect(body).toMatchObject({ version: 0, config: { leaderboards: [], tuning: {}, experiments: [], limits: { rateLimits: { perKeyPerSecond: 50000, perPlayerPerSecond: 20, burst: 50 }, scores: {} } } });
      expect(t.realm.describe()).toContain('game config: built-in defaults');
    } finally {
      await t.close();
    }
  });

  it('does not start with an invalid file, and says which line and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'realmstate-config-bad-'));
    const file = join(dir, 'game.yaml');
    writeFileSync(file, 'version: 1\nexperiments:\n  - name: xp-boost\n    variants:\n      - { name: control, weight: 50 }\n      - { name: boosted, weight: half }\n');
    const settings = loadSettings({ REALMSTATE_DATA_DIR: dir, REALMSTATE_CONFIG: file, REALMSTATE_API_KEY: 'k'.repeat(16), REALMSTATE_ADMIN_KEY: 'a'.repeat(16) });
    let databaseOpened = false;
    const start = createRealm({
      settings,
      logger: silentLogger,
      processMetrics: false,
      sql: async () => {
        databaseOpened = true;
        throw new Error('the config must be checked before the databases are opened');
      },
    });
    await expect(start).rejects.toThrow(`invalid game config ${file}: line 6, experiments[0].variants[1].weight`);
    expect(databaseOpened).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('two realms sharing Redis converge: the one that does not see the write follows the announcement', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'realmstate-config-two-'));
    const env = { REDIS_URL, REDIS_KEY_PREFIX: `test-${randomUUID()}:` };
    // Each realm has its own copy. b's is a symlink into another directory: b watches its own directory, so an
    // in-place write to the target does not reach its watcher (as on a network file system); only a's announcement can.
    mkdirSync(join(dir, 'target'));
    const fileA = join(dir, 'a.yaml');
    const targetB = join(dir, 'target', 'b.yaml');
    const fileB = join(dir, 'b.yaml');
    writeFileSync(fileA, EXAMPLE);
    writeFileSync(targetB, EXAMPLE);
    symlinkSync(targetB, fileB);
    const a = await startTestRealm('pglite', { shards: 1, env: { ...env, REALMSTATE_CONFIG: fileA } });
    const b = await startTestRealm('pglite', { shards: 1, env: { ...env, REALMSTATE_CONFIG: fileB } });
    try {
      expect(a.realm.describe()).toContain('changes announced over Redis');
      const read = async (r: TestRealm) => (await r.app.inject({ method: 'GET', url: '/v1/config', headers: auth })).json() as { version: number; hash: string };
      expect((await read(b)).hash).toBe((await read(a)).hash);
      writeFileSync(targetB, EXAMPLE.replace('version: 7', 'version: 12'));
      writeFileSync(fileA, EXAMPLE.replace('version: 7', 'version: 12'));
      await waitFor(async () => (await read(a)).version === 12, 'a reloads');
      await waitFor(async () => (await read(b)).hash === (await read(a)).hash, 'b converges');
      expect((await read(b)).version).toBe(12);
    } finally {
      await Promise.all([a.close(), b.close()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
