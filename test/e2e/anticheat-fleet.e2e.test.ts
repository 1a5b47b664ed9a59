// Anti-cheat across a fleet: two instances on one PostgreSQL cluster, one Redis and one NATS. Rate windows are
// shared (Redis), a ban on one instance is enforced by the other, flags are published on realmstate.anticheat.flagged.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteStream, NATS_URL, uniqueStream } from '../helpers/nats.js';
import { adminAuth, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { deleteKeys, REDIS_TEST_URL, uniquePrefix } from '../helpers/redis.js';

const json = { ...auth, 'content-type': 'application/json' };
const adminJson = { ...adminAuth, 'content-type': 'application/json' };

async function within(ms: number, check: () => Promise<boolean> | boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe('anti-cheat on two instances (PostgreSQL + Redis + NATS)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('shares rate windows, enforces a ban everywhere, publishes flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-acf-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'game.yaml');
    writeFileSync(file, `version: 1
leaderboards:
  - { id: arena, order: desc, operator: best, regions: [eu, na] }
anticheat:
  rules:
    - { name: xp-rate, kind: statRate, stat: xp, maxIncrease: 100, perSeconds: 60, action: reject }
    - { name: arena-jump, kind: scoreJump, board: arena, factor: 2, action: flag }
`);
    const { stream, subjectPrefix } = uniqueStream();
    const prefix = uniquePrefix();
    cleanups.push(() => deleteStream(stream), () => deleteKeys(prefix));
    const env = { NATS_URL, REALMSTATE_NATS_STREAM: stream, REALMSTATE_NATS_SUBJECT_PREFIX: subjectPrefix, REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix, REALMSTATE_CONFIG: file };
    const a: TestRealm = await startTestRealm('postgres', { env, shards: 2 });
    cleanups.push(a.close);
    const b: TestRealm = await startTestRealm('postgres', { env, cluster: a.cluster });
    cleanups.push(b.close);
    const nc = await connect({ servers: NATS_URL });
    cleanups.push(() => nc.close());
    const heard: Array<{ playerId: string; rule: string }> = [];
    nc.subscribe('realmstate.anticheat.flagged', { callback: (err, msg) => void (!err && heard.push(msg.json())) });
    await nc.flush();

    // One window for the player, whichever instance takes the append.
    const append = (t: TestRealm, id: string, amount: number) => t.app.inject({ method: 'POST', url: `/v1/players/${id}/events`, headers: json, payload: { events: [{ type: 'stat.add', data: { stat: 'xp', amount } }] } });
    expect((await append(a, 'runner', 70)).statusCode).toBe(200);
    const refused = await append(b, 'runner', 40);
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ rule: 'xp-rate' });
    expect((await append(b, 'runner', 30)).statusCode).toBe(200);

    // A flag raised on b is stored for both and published.
    const submit = (t: TestRealm, playerId: string, score: number, region: string) => t.app.inject({ method: 'POST', url: '/v1/leaderboards/arena/scores', headers: json, payload: { playerId, score, region } });
    expect((await submit(a, 'cheat', 100, 'eu')).statusCode).toBe(200);
    expect((await submit(b, 'cheat', 500, 'na')).statusCode).toBe(200);
    expect((await submit(a, 'fair', 300, 'eu')).statusCode).toBe(200);
    const flags = (await a.app.inject({ method: 'GET', url: '/v1/admin/anticheat/flags?playerId=cheat', headers: adminAuth })).json() as { flags: Array<{ rule: string }> };
    expect(flags.flags).toMatchObject([{ rule: 'arena-jump' }]);
    expect(await within(10_000, () => heard.some((f) => f.playerId === 'cheat' && f.rule === 'arena-jump'))).toBe(true);

    // Banned on a: b hears of it and refuses the player; the boards are clean on both.
    expect((await a.app.inject({ method: 'POST', url: '/v1/admin/players/cheat:ban', headers: adminJson, payload: { reason: 'jump' } })).statusCode).toBe(200);
    expect(await within(10_000, () => b.realm.anticheat.isBanned('cheat'))).toBe(true);
    const late = await submit(b, 'cheat', 900, 'eu');
    expect(late.statusCode).toBe(403);
    expect(late.json()).toMatchObject({ error: { code: 'banned' } });
    for (const t of [a, b]) {
      const top = (await t.app.inject({ method: 'GET', url: '/v1/leaderboards/arena/top', headers: auth })).json() as { entries: unknown[] };
      expect(top.entries).toEqual([{ rank: 1, playerId: 'fair', score: 300 }]);
    }
    // Unbanned on b: a accepts it again.
    expect((await b.app.inject({ method: 'POST', url: '/v1/admin/players/cheat:unban', headers: adminJson, payload: {} })).statusCode).toBe(200);
    expect(await within(10_000, () => !a.realm.anticheat.isBanned('cheat'))).toBe(true);
    expect((await submit(a, 'cheat', 600, 'na')).json()).toEqual({ playerId: 'cheat', score: 600, rank: 1 });
  });
});
