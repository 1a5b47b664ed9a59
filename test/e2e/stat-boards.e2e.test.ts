// Boards that follow a player stat are fed by the event stream: a `stat.add kills` append shows on the board
// within a second, on the embedded backends and on PostgreSQL + Redis + NATS JetStream. Boards declared in the
// game config are served too.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteStream, NATS_URL, uniqueStream } from '../helpers/nats.js';
import { adminAuth, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { deleteKeys, REDIS_TEST_URL, uniquePrefix } from '../helpers/redis.js';

const json = { ...auth, 'content-type': 'application/json' };
const FAST_RELAY = { pollMs: 20, leaseRetryMs: 200, lagEveryMs: 100 };

async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe.each(['embedded', 'servers'] as const)('boards that follow a stat (%s)', (mode) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function start(extraEnv: Record<string, string> = {}): Promise<TestRealm> {
    if (mode === 'embedded') return startTestRealm('pglite', { env: extraEnv });
    const { stream, subjectPrefix } = uniqueStream();
    const prefix = uniquePrefix();
    cleanups.push(() => deleteStream(stream), () => deleteKeys(prefix));
    return startTestRealm('postgres', {
      relay: FAST_RELAY,
      env: { NATS_URL, REALMSTATE_NATS_STREAM: stream, REALMSTATE_NATS_SUBJECT_PREFIX: subjectPrefix, REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix, ...extraEnv },
    });
  }

  it('shows a stat.add on the board within a second, per region from data.region', async () => {
    const t = await start();
    cleanups.push(t.close);
    const put = (board: string, def: object) => t.app.inject({ method: 'PUT', url: `/v1/leaderboards/${board}`, headers: { ...adminAuth, 'content-type': 'application/json' }, payload: def });
    expect((await put('kills', { order: 'desc', operator: 'best', stat: 'kills' })).statusCode).toBe(200);
    expect((await put('kills-regional', { order: 'desc', operator: 'set', stat: 'kills', regions: ['eu', 'na'] })).statusCode).toBe(200);
    const append = (id: string, events: object[]) => t.app.inject({ method: 'POST', url: `/v1/players/${id}/events`, headers: json, payload: { events } });
    await append('slayer', [{ type: 'data.set', data: { key: 'region', value: 'eu' } }, { type: 'stat.add', data: { stat: 'kills', amount: 3 } }]);
    await append('rookie', [{ type: 'stat.add', data: { stat: 'kills', amount: 1 } }, { type: 'stat.add', data: { stat: 'deaths', amount: 9 } }]);
    await append('slayer', [{ type: 'stat.add', data: { stat: 'kills', amount: 2 } }]);
    const top = async (url: string) => (await t.app.inject({ method: 'GET', url, headers: auth })).json() as { entries: Array<{ playerId: string; score: number; rank: number }> };
    const shown = await within(1000, async () => {
      const entries = (await top('/v1/leaderboards/kills/top?limit=10')).entries;
      return entries.length === 2 && entries[0]?.playerId === 'slayer' && entries[0]?.score === 5;
    });
    expect(shown).toBe(true);
    expect((await top('/v1/leaderboards/kills/top?limit=10')).entries).toEqual([
      { rank: 1, playerId: 'slayer', score: 5 },
      { rank: 2, playerId: 'rookie', score: 1 },
    ]);
    // The regional board only has the player whose data.region names one of its regions.
    expect(await within(1000, async () => (await top('/v1/leaderboards/kills-regional/top?limit=10&region=eu')).entries.length === 1)).toBe(true);
    expect((await top('/v1/leaderboards/kills-regional/top?limit=10')).entries).toEqual([{ rank: 1, playerId: 'slayer', score: 5 }]);
  });

  it('serves boards declared in the game config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-cfg-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'game.yaml');
    writeFileSync(file, 'version: 1\nleaderboards:\n  - { id: arena, order: desc, operator: best, reset: weekly }\n');
    const t = await start({ REALMSTATE_CONFIG: file });
    cleanups.push(t.close);
    const list = (await t.app.inject({ method: 'GET', url: '/v1/leaderboards', headers: auth })).json() as { leaderboards: Array<{ board: string; reset: string }> };
    expect(list.leaderboards.map((b) => [b.board, b.reset])).toEqual([['arena', 'weekly']]);
    const res = await t.app.inject({ method: 'POST', url: '/v1/leaderboards/arena/scores', headers: json, payload: { playerId: 'p1', score: 42 } });
    expect(res.json()).toEqual({ playerId: 'p1', score: 42, rank: 1 });
  });
});
