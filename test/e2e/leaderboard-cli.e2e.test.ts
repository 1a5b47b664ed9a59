// `realmstate leaderboard rebuild <board>` as an operator runs it: a separate process on the same PostgreSQL and Redis.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createRedisClient } from '../../src/backends/redis/index.js';
import { ADMIN_KEY, adminAuth, API_KEY, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { deleteKeysWithPrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const run = promisify(execFile);

describe('realmstate leaderboard rebuild', () => {
  const prefix = uniquePrefix();
  const env = { REDIS_URL: redisUrl(0), REDIS_KEY_PREFIX: prefix };
  let t: TestRealm;
  let redis: Redis;

  beforeAll(async () => {
    redis = createRedisClient(redisUrl(0));
    expect(await connectRedis(redis)).toBe(true);
    t = await startTestRealm('postgres', { env });
  });
  afterAll(async () => {
    await t?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('refills a board Redis lost, equal to what it was', async () => {
    const headers = { ...adminAuth, 'content-type': 'application/json' };
    expect((await t.app.inject({ method: 'PUT', url: '/v1/leaderboards/cli-board', headers, payload: { order: 'desc', operator: 'best' } })).statusCode).toBe(200);
    for (let i = 0; i < 25; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/leaderboards/cli-board/scores', headers: { ...auth, 'content-type': 'application/json' }, payload: { playerId: `c${i}`, score: i % 4 } });
      expect(res.statusCode).toBe(200);
    }
    const top = () => t.app.inject({ method: 'GET', url: '/v1/leaderboards/cli-board/top?limit=100', headers: auth }).then((r) => r.json());
    const before = await top();
    expect(await t.realm.leaderboards.flushCopies()).toBe(true);
    expect(await deleteKeysWithPrefix(redis, prefix)).toBeGreaterThan(0);

    const { stdout } = await run(process.execPath, ['bin/realmstate.js', 'leaderboard', 'rebuild', 'cli-board'], {
      env: { ...process.env, ...env, DATABASE_URLS: t.cluster.urls.join(','), REALMSTATE_DATA_DIR: t.dataDir, REALMSTATE_API_KEY: API_KEY, REALMSTATE_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'warn' },
    });
    expect(JSON.parse(stdout)).toEqual({ board: 'cli-board', season: 'all', sets: [{ region: null, entries: 25 }] });
    // Refilled by the command itself, before this server read anything.
    expect(await redis.zcard(`${prefix}lb:{cli-board|all||desc}:z`)).toBe(25);
    expect(await top()).toEqual(before);

    await expect(run(process.execPath, ['bin/realmstate.js', 'leaderboard', 'rebuild'], { env: { ...process.env, ...env } })).rejects.toMatchObject({ code: 1 });
  });
});
