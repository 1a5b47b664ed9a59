// A region down is a region down: each region of a board on its own private redis-server (REDIS_REGION_URLS); with
// one stopped, the other region keeps accepting and serving scores (replies say what is missing), requests that
// need only the missing region get 503 and write nothing, /readyz stays 200 while reporting it, and when the region's
// Redis comes back empty its part of the board is rebuilt from the durable copy by itself, before any request needs it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readScoreRows } from '../../src/leaderboards/score-rows.js';
import { PrivateRedis } from '../faults/support/private-redis.js';
import { adminAuth, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

describe('a leaderboard region down', () => {
  const prefix = uniquePrefix();
  const eu = new PrivateRedis();
  const na = new PrivateRedis();
  let t: TestRealm;
  const json = { ...auth, 'content-type': 'application/json' };
  const submit = (playerId: string, region: string, score: number) =>
    t.app.inject({ method: 'POST', url: '/v1/leaderboards/world/scores', headers: json, payload: JSON.stringify({ playerId, region, score }) });
  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: auth });
  const durable = async () => (await Promise.all(t.cluster.cluster.shards.map((s) => readScoreRows(s, 'world', 'all')))).flat().map((r) => r.playerId).sort();

  beforeAll(async () => {
    await Promise.all([eu.start(), na.start()]);
    t = await startTestRealm('pglite', { env: { REDIS_URL: redisUrl(0), REDIS_KEY_PREFIX: prefix, REDIS_REGION_URLS: `eu=${eu.url},na=${na.url}` } });
    const put = await t.app.inject({ method: 'PUT', url: '/v1/leaderboards/world', headers: { ...adminAuth, 'content-type': 'application/json' }, payload: '{"order":"desc","operator":"best","regions":["eu","na"]}' });
    expect(put.statusCode).toBe(200);
    for (const [p, r, s] of [['e1', 'eu', 50], ['e2', 'eu', 30], ['e3', 'eu', 10], ['n1', 'na', 60], ['n2', 'na', 40]] as const) {
      expect((await submit(p, r, s)).statusCode).toBe(200);
    }
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([eu.stop(), na.stop()]);
    await deleteKeys(prefix);
  });

  it('keeps serving the other region, answers 503 for what needs only the missing one, and stays ready', async () => {
    expect((await get('/v1/leaderboards/world/top')).json().entries.map((e: { playerId: string }) => e.playerId)).toEqual(['n1', 'e1', 'n2', 'e2', 'e3']);
    await na.stop();

    // A submission in eu: stored, with its regional rank; the global rank is unknown.
    const accepted = await submit('e4', 'eu', 45);
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toEqual({ playerId: 'e4', score: 45, rank: null, regionRank: 2, partial: ['na'] });
    expect((await submit('e1', 'eu', 55)).json()).toEqual({ playerId: 'e1', score: 55, rank: null, regionRank: 1, partial: ['na'] });

    // Global reads answer from eu and say na is missing; eu's own reads are complete.
    const top = await get('/v1/leaderboards/world/top');
    expect(top.statusCode).toBe(200);
    expect(top.json()).toMatchObject({ partial: ['na'], entries: [
      { rank: 1, playerId: 'e1', score: 55 }, { rank: 2, playerId: 'e4', score: 45 }, { rank: 3, playerId: 'e2', score: 30 }, { rank: 4, playerId: 'e3', score: 10 },
    ] });
    expect((await get('/v1/leaderboards/world/players/e2')).json()).toEqual({ playerId: 'e2', score: 30, rank: 3, partial: ['na'] });
    const euTop = (await get('/v1/leaderboards/world/top?region=eu')).json();
    expect(euTop.partial).toBeUndefined();
    expect(euTop.entries).toHaveLength(4);
    expect((await get('/v1/leaderboards/world/around/e4?limit=1')).json()).toMatchObject({ partial: ['na'], entries: [{ playerId: 'e1' }, { playerId: 'e4' }, { playerId: 'e2' }] });

    // Requests that need only na: 503, and nothing is written anywhere.
    const copiesBefore = t.realm.leaderboards.pendingCopies;
    for (const res of [
      await submit('n3', 'na', 99),
      await submit('n2', 'eu', 99), // n2's score is in na (the durable copy says so): a move out of a region that is down
      await get('/v1/leaderboards/world/top?region=na'),
      await get('/v1/leaderboards/world/players/n1'),
      await get('/v1/leaderboards/world/players/n1?region=na'),
    ]) {
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().error.code).toBe('unavailable');
    }
    expect(t.realm.leaderboards.pendingCopies).toBe(copiesBefore);
    expect((await get('/v1/leaderboards/world/top?region=eu')).json().entries.map((e: { playerId: string }) => e.playerId)).toEqual(['e1', 'e4', 'e2', 'e3']);
    expect(await t.realm.leaderboards.flushCopies()).toBe(true);
    expect(await durable()).toEqual(['e1', 'e2', 'e3', 'e4', 'n1', 'n2']);

    // The instance stays ready and says which backend is down.
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().backends).toMatchObject({ redis: 'up', 'redis-eu': 'up', 'redis-na': 'down' });
  });

  it('rebuilds the region from the durable copy by itself when its Redis comes back empty', async () => {
    const rebuilt = async () => (await t.realm.metrics.leaderboardRebuilds.get()).values.filter((v) => v.labels.trigger === 'missing').reduce((n, v) => n + v.value, 0);
    const before = await rebuilt();
    await na.start();
    await waitFor(async () => (await t.realm.readiness())['redis-na'] === 'up', 'region na back', 20_000);
    // In the background, before any request needs it: the first read below does not wait for a rebuild.
    await waitFor(async () => (await rebuilt()) > before, 'region na rebuilt without a request', 20_000);
    const naTop = await get('/v1/leaderboards/world/top?region=na');
    expect(naTop.statusCode, naTop.body).toBe(200);
    expect(naTop.json().entries).toEqual([{ rank: 1, playerId: 'n1', score: 60 }, { rank: 2, playerId: 'n2', score: 40 }]);
    const top = (await get('/v1/leaderboards/world/top')).json();
    expect(top.partial).toBeUndefined();
    expect(top.entries.map((e: { playerId: string }) => e.playerId)).toEqual(['n1', 'e1', 'e4', 'n2', 'e2', 'e3']);
    expect((await submit('n3', 'na', 99)).json()).toEqual({ playerId: 'n3', score: 99, rank: 1 });
    expect((await submit('e3', 'eu', 12)).json()).toEqual({ playerId: 'e3', score: 12, rank: 7 });
  });
});
