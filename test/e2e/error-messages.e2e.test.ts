// The words of the errors a new user meets first: each says what was wrong and what is expected, in the API.md shape.
import type { InjectOptions } from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealm } from '../../src/realm.js';
import { loadSettings } from '../../src/settings.js';
import { pgUrl, uniqueName } from '../helpers/backends.js';
import { API_KEY, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { deleteStream, NATS_URL, uniqueStream } from '../helpers/nats.js';
import { uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const json = { ...auth, 'content-type': 'application/json' };

describe('request error messages', () => {
  let t: TestRealm;

  beforeAll(async () => {
    t = await startTestRealm('pglite');
  });
  afterAll(async () => {
    await t?.close();
  });

  const errorOf = async (req: InjectOptions) => {
    const res = await t.app.inject(req);
    return { status: res.statusCode, ...(res.json() as { error: { code: string; message: string } }).error };
  };

  it('an unknown event type echoes the type and lists the valid ones', async () => {
    const err = await errorOf({ method: 'POST', url: '/v1/players/aria/events', headers: json, payload: { events: [{ type: 'stat.bogus', data: {} }] } });
    expect(err).toEqual({
      status: 400,
      code: 'invalid_argument',
      message: 'invalid body: events.0.type: unknown type "stat.bogus"; the types are "stat.add", "stat.set", "stat.max", "item.grant", "item.consume", "data.set", "data.unset"',
    });
    const missing = await errorOf({ method: 'POST', url: '/v1/players/aria/events', headers: json, payload: { events: [{ data: {} }] } });
    expect(missing.message).toBe('invalid body: events.0.type is required: one of "stat.add", "stat.set", "stat.max", "item.grant", "item.consume", "data.set", "data.unset"');
  });

  it('a problem with the whole body names the body, not "value"', async () => {
    const extra = await errorOf({ method: 'POST', url: '/v1/players/aria/events', headers: json, payload: { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }], foo: 1 } });
    expect(extra).toMatchObject({ status: 400, message: 'invalid body: unknown field "foo"' });
    const notObject = await errorOf({ method: 'POST', url: '/v1/players/aria/events', headers: json, payload: '"x"' });
    expect(notObject).toMatchObject({ status: 400, message: 'invalid body: expected a JSON object, received string' });
  });

  it('a missing query parameter is said to be required; a wrong choice echoes the value', async () => {
    const noSeq = await errorOf({ method: 'GET', url: '/v1/players/aria/state-at', headers: auth });
    expect(noSeq).toMatchObject({ status: 400, message: 'invalid query: seq is required' });
    const notInt = await errorOf({ method: 'GET', url: '/v1/players/aria/state-at?seq=abc', headers: auth });
    expect(notInt.message).toBe('invalid query: seq: must be an integer');
    const badChoice = await errorOf({ method: 'GET', url: '/v1/players/aria?consistency=fast', headers: auth });
    expect(badChoice.message).toBe('invalid query: consistency: "fast" is not one of "eventual", "strong"');
    const badDurability = await errorOf({ method: 'POST', url: '/v1/players/aria/events', headers: json, payload: { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }], durability: 'later' } });
    expect(badDurability.message).toBe('invalid body: durability: "later" is not one of "sync", "batched"');
  });

  it('a right key without "Bearer " says how the header must read', async () => {
    const bare = await errorOf({ method: 'GET', url: '/v1/players/aria', headers: { authorization: API_KEY } });
    expect(bare).toEqual({ status: 401, code: 'unauthenticated', message: 'the header must be Authorization: Bearer <key> (the word Bearer, a space, then the key)' });
    const none = await errorOf({ method: 'GET', url: '/v1/players/aria' });
    expect(none.message).toBe('missing header Authorization: Bearer <key>');
    const wrong = await errorOf({ method: 'GET', url: '/v1/players/aria', headers: { authorization: 'Bearer not-the-key-0123456789' } });
    expect(wrong.message).toBe('wrong API key');
  });
});

// Each case opens PGlite or a realm: slow on a shared 2-core machine, so a generous limit.
describe('start-up error messages', { timeout: 180_000 }, () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'realmstate-errors-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  const settingsWith = (env: Record<string, string>) =>
    loadSettings({ REALMSTATE_DATA_DIR: dataDir, REALMSTATE_API_KEY: API_KEY, REALMSTATE_ADMIN_KEY: 'test-admin-key-0123456789', LOG_LEVEL: 'silent', ...env });

  it('a DATABASE_URLS entry naming a missing database names the shard and the variable', async () => {
    const missing = uniqueName('rs_missing');
    const settings = settingsWith({ DATABASE_URLS: pgUrl(missing) });
    const err = (await createRealm({ settings, processMetrics: false }).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(`shard 0 (${pgUrl(missing)}): database "${missing}" does not exist; create it (createdb) or fix its entry in DATABASE_URLS`);
  });

  it('DATABASE_URLS separated by ";" says the list is comma-separated', () => {
    expect(() => settingsWith({ DATABASE_URLS: `${pgUrl('a')};${pgUrl('b')}` })).toThrow('DATABASE_URLS: separate the URLs with commas, not ";"');
  });

  it('a lowered REALMSTATE_SHARDS in embedded mode talks about REALMSTATE_SHARDS, not DATABASE_URLS', async () => {
    const dir = join(dataDir, 'embedded');
    mkdirSync(dir);
    const first = await createRealm({ settings: settingsWith({ REALMSTATE_DATA_DIR: dir, REALMSTATE_SHARDS: '3' }), processMetrics: false });
    await first.close();
    const err = (await createRealm({ settings: settingsWith({ REALMSTATE_DATA_DIR: dir, REALMSTATE_SHARDS: '2' }), processMetrics: false }).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(
      'the slot map (epoch 1) gives slots to shard 2 (owns 1365 slots), beyond REALMSTATE_SHARDS=2 of this data dir. ' +
        'Raise REALMSTATE_SHARDS back, or drain the shard first (POST /v1/admin/shards/{id}:drain) before lowering it.',
    );
    expect(err.message).not.toMatch(/DATABASE_URLS/);
    // The failed start released the embedded database; raising the count again is fine (a new shard joins empty).
    const again = await createRealm({ settings: settingsWith({ REALMSTATE_DATA_DIR: dir, REALMSTATE_SHARDS: '4' }), processMetrics: false });
    await again.close();
  });

  it('the start-up line says when NATS JetStream is connected, not "connecting" for ever', async () => {
    const { stream, subjectPrefix } = uniqueStream();
    const t = await startTestRealm('pglite', { env: { NATS_URL, REALMSTATE_NATS_STREAM: stream, REALMSTATE_NATS_SUBJECT_PREFIX: subjectPrefix } });
    try {
      await waitFor(() => !t.realm.describe().includes('(connecting)'), 'the stream to connect', 30_000);
      expect(t.realm.describe()).toContain(`stream: NATS JetStream (stream ${stream}, subjects ${subjectPrefix}.<type>)`);
    } finally {
      await t.close();
      await deleteStream(stream);
    }
  });

  it('a Redis that refuses connections: the leaderboard routes say the connection was refused', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const config = join(dataDir, 'boards.yaml');
    writeFileSync(config, 'version: 1\nleaderboards:\n  - { id: arena, order: desc, operator: best }\n');
    const t = await startTestRealm('pglite', { env: { REDIS_URL: `redis://127.0.0.1:${closed}`, REDIS_KEY_PREFIX: uniquePrefix(), REALMSTATE_CONFIG: config } });
    try {
      const res = await t.app.inject({ method: 'GET', url: '/v1/leaderboards/arena/top', headers: auth });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.message).toMatch(/unavailable: the connection was refused \(is Redis running at that address\?\); reconnecting in the background$/);
      expect(res.json().error.message).not.toMatch(/enableOfflineQueue/);
    } finally {
      await t.close();
    }
  });
});
