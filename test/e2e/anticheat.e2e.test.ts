// Anti-cheat through the HTTP API: every rule kind and action, a reload that changes a rule for the next request,
// quarantine (absent from every public read until cleared), a ban on a regional seasonal board and its unban,
// per-player rollback (exact earlier state, replay equal), the admin audit log. Embedded, and on PostgreSQL +
// Redis + NATS JetStream.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteStream, NATS_URL, uniqueStream } from '../helpers/nats.js';
import { adminAuth, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { deleteKeys, REDIS_TEST_URL, uniquePrefix } from '../helpers/redis.js';

const json = { ...auth, 'content-type': 'application/json' };
const adminJson = { ...adminAuth, 'content-type': 'application/json' };
const FAST_RELAY = { pollMs: 20, leaseRetryMs: 200, lagEveryMs: 100 };

class TestClock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

type Entry = { rank: number; playerId: string; score: number };
interface FlagBody { id: string; playerId: string; rule: string; action: string; status: string; details: Record<string, unknown> }

async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe.each(['embedded', 'servers'] as const)('anti-cheat (%s)', (mode) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function configFile(text: string): { file: string; write: (t: string) => void } {
    const dir = mkdtempSync(join(tmpdir(), 'rs-ac-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'game.yaml');
    writeFileSync(file, text);
    return { file, write: (t) => writeFileSync(file, t) };
  }

  async function start(env: Record<string, string> = {}, clock?: TestClock): Promise<TestRealm> {
    let t: TestRealm;
    if (mode === 'embedded') t = await startTestRealm('pglite', { env, clock, relay: FAST_RELAY, shards: 2 });
    else {
      const { stream, subjectPrefix } = uniqueStream();
      const prefix = uniquePrefix();
      cleanups.push(() => deleteStream(stream), () => deleteKeys(prefix));
      t = await startTestRealm('postgres', {
        shards: 2,
        relay: FAST_RELAY,
        clock,
        env: { NATS_URL, REALMSTATE_NATS_STREAM: stream, REALMSTATE_NATS_SUBJECT_PREFIX: subjectPrefix, REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix, ...env },
      });
    }
    cleanups.push(t.close);
    return t;
  }

  const client = (t: TestRealm) => ({
    append: (id: string, events: object[]) => t.app.inject({ method: 'POST', url: `/v1/players/${id}/events`, headers: json, payload: { events } }),
    submit: (board: string, body: object) => t.app.inject({ method: 'POST', url: `/v1/leaderboards/${board}/scores`, headers: json, payload: body }),
    get: (url: string) => t.app.inject({ method: 'GET', url, headers: auth }),
    admin: (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => t.app.inject({ method, url, headers: payload ? adminJson : adminAuth, ...(payload ? { payload } : {}) }),
    top: async (url: string): Promise<Entry[]> => {
      const res = await t.app.inject({ method: 'GET', url, headers: auth });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { entries: Entry[] }).entries;
    },
    flags: async (query: string): Promise<FlagBody[]> => {
      const res = await t.app.inject({ method: 'GET', url: `/v1/admin/anticheat/flags?${query}`, headers: adminAuth });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { flags: FlagBody[] }).flags;
    },
  });

  it('refuses an impossible stat gain without a trace, flags an event flood, and applies a reloaded rule to the next request', async () => {
    const cfg = configFile(`version: 1
anticheat:
  rules:
    - { name: xp-rate, kind: statRate, stat: xp, maxIncrease: 100, perSeconds: 60, action: reject }
    - { name: loot-flood, kind: eventRate, type: item.grant, max: 2, perSeconds: 60, action: flag }
`);
    const t = await start({ REALMSTATE_CONFIG: cfg.file });
    const c = client(t);
    expect((await c.admin('PUT', '/v1/leaderboards/xp-board', { order: 'desc', operator: 'set', stat: 'xp' })).statusCode).toBe(200);
    expect((await c.append('hero', [{ type: 'stat.add', data: { stat: 'xp', amount: 60 } }])).statusCode).toBe(200);
    const refused = await c.append('hero', [{ type: 'item.grant', data: { item: 'gem', qty: 1 } }, { type: 'stat.set', data: { stat: 'xp', value: 111 } }]);
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ error: { code: 'rejected' }, rule: 'xp-rate' });
    // No trace: no event, no state change (memory, cache or primary), no score on the board that follows xp.
    expect((await c.get('/v1/players/hero/events')).json()).toMatchObject({ events: [{ seq: 1, type: 'stat.add' }] });
    expect((await c.get('/v1/players/hero')).json()).toMatchObject({ seq: 1, stats: { xp: 60 }, items: {} });
    expect((await c.get('/v1/players/hero?consistency=strong')).json()).toMatchObject({ seq: 1, stats: { xp: 60 } });
    expect(await within(10_000, async () => (await c.top('/v1/leaderboards/xp-board/top')).length === 1)).toBe(true);
    expect(await c.top('/v1/leaderboards/xp-board/top')).toEqual([{ rank: 1, playerId: 'hero', score: 60 }]);
    // The refused amount did not count in the window: 40 more still fits.
    expect((await c.append('hero', [{ type: 'stat.add', data: { stat: 'xp', amount: 40 } }])).statusCode).toBe(200);

    const heard: string[] = [];
    await t.realm.anticheat.onFlag((f) => heard.push(`${f.playerId} ${f.rule}`));
    // Three grants in a window of two: accepted, and flagged for review.
    for (let i = 0; i < 3; i++) expect((await c.append('looter', [{ type: 'item.grant', data: { item: 'gem', qty: 1 } }])).statusCode).toBe(200);
    // The flag is recorded once the append is accepted, after its reply (as its publication is, below).
    expect(await within(10_000, async () => (await c.flags('status=open&playerId=looter')).length > 0)).toBe(true);
    const flags = await c.flags('status=open&playerId=looter');
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ playerId: 'looter', rule: 'loot-flood', action: 'flag', status: 'open', details: { seq: 3 } });
    expect(await c.flags('playerId=hero')).toEqual([]);
    // Published too (in process when embedded, on NATS realmstate.anticheat.flagged with the servers).
    expect(await within(10_000, async () => heard.includes('looter loot-flood'))).toBe(true);

    // A reload raises the cap: the very next append is judged by the new rule.
    expect((await c.append('hero', [{ type: 'stat.add', data: { stat: 'xp', amount: 500 } }])).statusCode).toBe(422);
    cfg.write(`version: 2
anticheat:
  rules:
    - { name: xp-rate, kind: statRate, stat: xp, maxIncrease: 1000, perSeconds: 60, action: reject }
`);
    expect((await c.admin('POST', '/v1/config/reload')).statusCode).toBe(200);
    expect((await c.append('hero', [{ type: 'stat.add', data: { stat: 'xp', amount: 500 } }])).statusCode).toBe(200);
    // An invalid rule is refused by the reload and the old rules stay.
    cfg.write(`version: 3
anticheat:
  rules:
    - { name: bad, kind: statRate, stat: xp, maxIncrease: 10, perSeconds: 60, action: quarantine }
`);
    expect((await c.admin('POST', '/v1/config/reload')).statusCode).toBe(422);
    expect((await c.append('hero', [{ type: 'stat.add', data: { stat: 'xp', amount: 450 } }])).statusCode).toBe(422);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/realmstate_anticheat_rule_hits_total\{rule="xp-rate",action="reject"\} 3/);
    expect(metrics.body).toMatch(/realmstate_anticheat_flags_total\{rule="loot-flood"\} 1/);
    // The first test of a group also opens the embedded database, which takes long on a loaded machine.
  }, 120_000);

  it('refuses scores out of bounds, flags a jump, quarantines a suspicious score until a clear', async () => {
    const cfg = configFile(`version: 1
leaderboards:
  - { id: arena, order: desc, operator: best }
  - { id: free, order: desc, operator: incr }
limits:
  scores: { maxPerSubmission: 150000 }
anticheat:
  rules:
    - { name: arena-cap, kind: scoreMax, board: arena, max: 100000, action: reject }
    - { name: arena-floor, kind: scoreMin, board: arena, min: 0, action: reject }
    - { name: arena-high, kind: scoreMax, board: arena, max: 5000, action: quarantine }
    - { name: arena-jump, kind: scoreJump, board: arena, factor: 3, action: flag }
`);
    const t = await start({ REALMSTATE_CONFIG: cfg.file });
    const c = client(t);
    for (const [id, score] of [['a', 1000], ['b', 900], ['c', 800]] as const) expect((await c.submit('arena', { playerId: id, score })).statusCode).toBe(200);
    const before = await c.top('/v1/leaderboards/arena/top');
    for (const [score, rule] of [[120000, 'arena-cap'], [-1, 'arena-floor']] as const) {
      const res = await c.submit('arena', { playerId: 'b', score });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ error: { code: 'rejected' }, rule });
    }
    // The game config's score limit holds on every board, rules or not.
    for (const score of [160000, -160000]) {
      const res = await c.submit('free', { playerId: 'b', score });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ rule: 'limits.scores.maxPerSubmission' });
    }
    expect((await c.submit('free', { playerId: 'b', score: 150000 })).statusCode).toBe(200);
    const fresh = await c.submit('arena', { playerId: 'nobody', score: 200000 });
    expect(fresh.statusCode).toBe(422);
    expect(await c.top('/v1/leaderboards/arena/top')).toEqual(before);
    expect((await c.get('/v1/leaderboards/arena/players/nobody')).statusCode).toBe(404);

    // c jumps from 800 to 2500 (> 3×): accepted and flagged.
    expect((await c.submit('arena', { playerId: 'c', score: 2500 })).json()).toEqual({ playerId: 'c', score: 2500, rank: 1 });
    expect(await c.flags('playerId=c')).toMatchObject([{ rule: 'arena-jump', action: 'flag', status: 'open' }]);

    // A newcomer's 9000 is held: nobody sees it, ranks of others ignore it.
    const held = await c.submit('arena', { playerId: 'q', score: 9000 });
    expect(held.statusCode).toBe(200);
    expect(held.json()).toEqual({ playerId: 'q', score: 9000, rank: 1 });
    const publicTop = [{ rank: 1, playerId: 'c', score: 2500 }, { rank: 2, playerId: 'a', score: 1000 }, { rank: 3, playerId: 'b', score: 900 }];
    expect(await c.top('/v1/leaderboards/arena/top')).toEqual(publicTop);
    expect((await c.get('/v1/leaderboards/arena/players/q')).statusCode).toBe(404);
    expect((await c.get('/v1/leaderboards/arena/around/q')).statusCode).toBe(404);
    expect((await c.get('/v1/leaderboards/arena/players/c')).json()).toEqual({ playerId: 'c', score: 2500, rank: 1 });
    expect((await c.top('/v1/leaderboards/arena/around/a?limit=1'))).toEqual(publicTop);
    const [flag] = await c.flags('status=open&playerId=q');
    expect(flag).toMatchObject({ rule: 'arena-high', action: 'quarantine', details: { board: 'arena', score: 9000 } });

    // Reviewed and cleared: the score is public, the others move down.
    const cleared = await c.admin('POST', `/v1/admin/anticheat/flags/${flag?.id}:clear`);
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json()).toMatchObject({ id: flag?.id, status: 'cleared' });
    expect(await c.top('/v1/leaderboards/arena/top?limit=2')).toEqual([{ rank: 1, playerId: 'q', score: 9000 }, { rank: 2, playerId: 'c', score: 2500 }]);
    expect((await c.get('/v1/leaderboards/arena/players/a')).json()).toEqual({ playerId: 'a', score: 1000, rank: 3 });
    expect(await c.flags('status=open&playerId=q')).toEqual([]);
    expect(await c.flags('status=cleared')).toMatchObject([{ id: flag?.id }]);
    // Clearing again changes nothing; an unknown flag is 404.
    expect((await c.admin('POST', `/v1/admin/anticheat/flags/${flag?.id}:clear`)).statusCode).toBe(200);
    expect(await c.top('/v1/leaderboards/arena/top?limit=1')).toEqual([{ rank: 1, playerId: 'q', score: 9000 }]);
    expect((await c.admin('POST', '/v1/admin/anticheat/flags/999999:clear')).statusCode).toBe(404);
  });

  it('quarantines an outlier of the board population once it has enough samples', async () => {
    const cfg = configFile(`version: 1
leaderboards:
  - { id: speed, order: asc, operator: best }
anticheat:
  rules:
    - { name: speed-outlier, kind: scoreOutlier, board: speed, zScore: 4, minSamples: 20, action: quarantine }
`);
    const t = await start({ REALMSTATE_CONFIG: cfg.file });
    const c = client(t);
    // Too few samples yet: an extreme time is accepted.
    expect((await c.submit('speed', { playerId: 'early', score: 1 })).json()).toMatchObject({ rank: 1 });
    for (let i = 0; i < 30; i++) expect((await c.submit('speed', { playerId: `r${i}`, score: 1000 + (i % 10) * 10 })).statusCode).toBe(200);
    // Far better (lower) than 4 standard deviations: held. An ordinary time: public.
    expect((await c.submit('speed', { playerId: 'warp', score: 3 })).statusCode).toBe(200);
    expect((await c.submit('speed', { playerId: 'normal', score: 1010 })).statusCode).toBe(200);
    expect((await c.get('/v1/leaderboards/speed/players/warp')).statusCode).toBe(404);
    expect((await c.get('/v1/leaderboards/speed/players/normal')).statusCode).toBe(200);
    expect((await c.top('/v1/leaderboards/speed/top?limit=2')).map((e) => e.playerId)).toEqual(['early', 'r0']);
    expect(await c.flags('playerId=warp')).toMatchObject([{ rule: 'speed-outlier', action: 'quarantine', status: 'open' }]);
    expect(await c.flags('playerId=normal')).toEqual([]);
  });

  it('bans a player off a regional seasonal board (every region and season), refuses its writes, and unbans it', async () => {
    const clock = new TestClock(Date.UTC(2026, 10, 18, 12, 0, 0)); // ISO week 47
    const t = await start({}, clock);
    const c = client(t);
    expect((await c.admin('PUT', '/v1/leaderboards/duel', { order: 'desc', operator: 'best', reset: 'weekly', regions: ['eu', 'na'] })).statusCode).toBe(200);
    expect((await c.append('cheat', [{ type: 'stat.add', data: { stat: 'gold', amount: 5 } }])).statusCode).toBe(200);
    await c.submit('duel', { playerId: 'cheat', score: 900, region: 'eu' });
    await c.submit('duel', { playerId: 'honest', score: 500, region: 'eu' });
    clock.ms = Date.UTC(2026, 10, 25, 12, 0, 0); // week 48
    await c.submit('duel', { playerId: 'cheat', score: 800, region: 'na' });
    await c.submit('duel', { playerId: 'honest', score: 700, region: 'eu' });
    await c.submit('duel', { playerId: 'other', score: 600, region: 'na' });
    const week47 = await c.top('/v1/leaderboards/duel/top?season=2026-W47');
    const week48 = await c.top('/v1/leaderboards/duel/top');
    expect(week47.map((e) => e.playerId)).toEqual(['cheat', 'honest']);
    expect(week48.map((e) => e.playerId)).toEqual(['cheat', 'honest', 'other']);

    const ban = await c.admin('POST', '/v1/admin/players/cheat:ban', { reason: 'speed hack' });
    expect(ban.statusCode, ban.body).toBe(200);
    expect(ban.json()).toEqual({ playerId: 'cheat', banned: true, scores: 2 });
    expect(await c.top('/v1/leaderboards/duel/top?season=2026-W47')).toEqual([{ rank: 1, playerId: 'honest', score: 500 }]);
    expect(await c.top('/v1/leaderboards/duel/top')).toEqual([{ rank: 1, playerId: 'honest', score: 700 }, { rank: 2, playerId: 'other', score: 600 }]);
    expect(await c.top('/v1/leaderboards/duel/top?region=na')).toEqual([{ rank: 1, playerId: 'other', score: 600 }]);
    expect((await c.get('/v1/leaderboards/duel/players/other')).json()).toEqual({ playerId: 'other', score: 600, rank: 2 });
    expect((await c.get('/v1/leaderboards/duel/players/cheat')).statusCode).toBe(404);
    // Refused writes, readable state, the ban in the log.
    const sub = await c.submit('duel', { playerId: 'cheat', score: 1, region: 'eu' });
    expect(sub.statusCode).toBe(403);
    expect(sub.json()).toMatchObject({ error: { code: 'banned' } });
    const app = await c.append('cheat', [{ type: 'stat.add', data: { stat: 'gold', amount: 1 } }]);
    expect(app.statusCode).toBe(403);
    expect(app.json()).toMatchObject({ error: { code: 'banned' } });
    expect((await c.get('/v1/players/cheat')).json()).toMatchObject({ seq: 2, stats: { gold: 5 } });
    expect((await c.get('/v1/players/cheat/events')).json()).toMatchObject({ events: [{ seq: 1 }, { seq: 2, type: 'player.banned', data: { reason: 'speed hack' } }] });
    // A rebuild from the durable copy keeps the banned player out.
    expect((await c.admin('POST', '/v1/leaderboards/duel:rebuild?season=2026-W47')).statusCode).toBe(200);
    expect((await c.top('/v1/leaderboards/duel/top?season=2026-W47')).map((e) => e.playerId)).toEqual(['honest']);

    const unban = await c.admin('POST', '/v1/admin/players/cheat:unban', { reason: 'appeal accepted' });
    expect(unban.statusCode, unban.body).toBe(200);
    expect(unban.json()).toEqual({ playerId: 'cheat', banned: false, scores: 2 });
    expect(await c.top('/v1/leaderboards/duel/top?season=2026-W47')).toEqual(week47);
    expect(await c.top('/v1/leaderboards/duel/top')).toEqual(week48);
    expect((await c.submit('duel', { playerId: 'cheat', score: 950, region: 'na' })).statusCode).toBe(200);
    expect((await c.admin('POST', '/v1/admin/players/cheat:unban', { reason: 'again' })).statusCode).toBe(404);
  });

  it('rolls one player back to an earlier seq with one state.restore event; boards that follow a stat follow it', async () => {
    const t = await start();
    const c = client(t);
    expect((await c.admin('PUT', '/v1/leaderboards/gold', { order: 'desc', operator: 'set', stat: 'gold' })).statusCode).toBe(200);
    await c.append('dupe', [{ type: 'stat.add', data: { stat: 'gold', amount: 10 } }, { type: 'item.grant', data: { item: 'sword', qty: 1 } }]);
    await c.append('dupe', [{ type: 'data.set', data: { key: 'region', value: 'eu' } }]);
    const at3 = (await c.get('/v1/players/dupe/state-at?seq=3')).json() as Record<string, unknown>;
    await c.append('dupe', [{ type: 'stat.add', data: { stat: 'gold', amount: 99990 } }, { type: 'item.grant', data: { item: 'crown', qty: 5 } }, { type: 'item.consume', data: { item: 'sword', qty: 1 } }, { type: 'data.unset', data: { key: 'region' } }, { type: 'stat.add', data: { stat: 'gems', amount: 3 } }]);
    await c.append('bystander', [{ type: 'stat.add', data: { stat: 'gold', amount: 50 } }]);
    expect(await within(10_000, async () => (await c.top('/v1/leaderboards/gold/top')).length === 2)).toBe(true);
    expect((await c.top('/v1/leaderboards/gold/top'))[0]).toEqual({ rank: 1, playerId: 'dupe', score: 100000 });

    const res = await c.admin('POST', '/v1/admin/players/dupe:rollback', { toSeq: 3, reason: 'duplication exploit' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { seq: number; state: Record<string, unknown> };
    expect(body.seq).toBe(9);
    const { seq: _s, updatedAt: _u, ...earlier } = at3;
    const { seq: _s2, updatedAt: _u2, ...now } = body.state;
    expect(now).toEqual(earlier);
    const events = (await c.get('/v1/players/dupe/events?after=8')).json() as { events: Array<{ type: string; data: Record<string, unknown> }> };
    expect(events.events).toMatchObject([{ type: 'state.restore', data: { toSeq: 3, reason: 'duplication exploit' } }]);
    // Replaying the whole log gives the served state.
    const strong = (await c.get('/v1/players/dupe?consistency=strong')).json() as Record<string, unknown>;
    expect((await c.get('/v1/players/dupe/state-at?seq=9')).json()).toEqual(strong);
    expect(strong).toEqual(body.state);
    // The board that follows gold follows the rollback; nobody else moved.
    expect(await within(10_000, async () => (await c.top('/v1/leaderboards/gold/top'))[0]?.playerId === 'bystander')).toBe(true);
    expect(await c.top('/v1/leaderboards/gold/top')).toEqual([{ rank: 1, playerId: 'bystander', score: 50 }, { rank: 2, playerId: 'dupe', score: 10 }]);
    expect((await c.get('/v1/players/bystander')).json()).toMatchObject({ seq: 1, stats: { gold: 50 } });
    // Bad seqs are 400; the public append route refuses Realmstate's own event types.
    expect((await c.admin('POST', '/v1/admin/players/dupe:rollback', { toSeq: 99, reason: 'x' })).statusCode).toBe(400);
    expect((await c.admin('POST', '/v1/admin/players/ghost:rollback', { toSeq: 1, reason: 'x' })).statusCode).toBe(404);
    expect((await c.append('dupe', [{ type: 'state.restore', data: { toSeq: 1, stats: {}, items: {}, data: {}, reason: 'x' } }])).statusCode).toBe(400);
    expect((await c.append('dupe', [{ type: 'player.banned', data: { reason: 'x' } }])).statusCode).toBe(400);
  });

  it('records every admin action, of every capability, newest first, with the key and the outcome', async () => {
    const t = await start();
    const c = client(t);
    await c.append('p1', [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }]);
    expect((await c.admin('PUT', '/v1/leaderboards/b1', { order: 'desc', operator: 'best' })).statusCode).toBe(200);
    expect((await c.admin('POST', '/v1/admin/players/p1:ban', { reason: 'test' })).statusCode).toBe(200);
    expect((await c.admin('POST', '/v1/admin/players/p1:rollback', { toSeq: 5, reason: 'bad' })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: '/v1/admin/players/p1:unban', headers: json, payload: {} })).statusCode).toBe(403);
    expect((await c.admin('POST', '/v1/admin/players/p1:unban', { reason: 'ok' })).statusCode).toBe(200);
    const audit = await c.admin('GET', '/v1/admin/audit?limit=10');
    expect(audit.statusCode).toBe(200);
    const entries = (audit.json() as { entries: Array<Record<string, unknown>> }).entries;
    expect(entries.map(({ at: _at, ...e }) => e)).toEqual([
      { key: 'admin', action: 'anticheat.unban', target: 'player p1', outcome: 'ok' },
      { key: 'game', action: 'anticheat.unban', target: 'player p1', outcome: 'failed 403 permission_denied' },
      { key: 'admin', action: 'players.rollback', target: 'player p1 to seq 5', outcome: 'failed 400 invalid_argument' },
      { key: 'admin', action: 'anticheat.ban', target: 'player p1', outcome: 'ok' },
      { key: 'admin', action: 'PUT /v1/leaderboards/:board', target: '/v1/leaderboards/b1', outcome: 'ok' },
    ]);
    expect(typeof entries[0]?.at).toBe('string');
  });
});
