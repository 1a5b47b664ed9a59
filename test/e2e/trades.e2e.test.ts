// Trades and the economy's books through the HTTP API, on the embedded database and on PostgreSQL (4 shards):
// all or nothing, exactly once per trade id, held goods not spendable, bad input, the switch, books that balance
// and equal a rebuild from the logs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQL_KINDS } from '../helpers/backends.js';
import { adminAuth, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { waitFor } from '../helpers/wait.js';

const CONFIG = (trades: 'enabled' | 'disabled') =>
  `version: 1\nlimits:\n  rateLimits: { perKeyPerSecond: 1000000000, perPlayerPerSecond: 1000000000, burst: 0 }\neconomy:\n  trades: ${trades}\n`;

describe.each(SQL_KINDS)('trades on %s', (kind) => {
  let t: TestRealm;
  let dir: string;
  let file: string;
  let n = 0;
  const uid = (p: string) => `${p}-${++n}`;

  const post = (url: string, payload: unknown, headers = auth) => t.app.inject({ method: 'POST', url, headers, payload: payload as object });
  const get = (url: string, headers = auth) => t.app.inject({ method: 'GET', url, headers });
  const seed = async (id: string, items: Record<string, number>, stats: Record<string, number> = {}) => {
    const events = [
      ...Object.entries(items).map(([item, qty]) => ({ type: 'item.grant', data: { item, qty } })),
      ...Object.entries(stats).map(([stat, value]) => ({ type: 'stat.set', data: { stat, value } })),
      { type: 'data.set', data: { key: 'seeded', value: true } },
    ];
    const res = await post(`/v1/players/${id}/events`, { events });
    expect(res.statusCode, res.body).toBe(200);
  };
  const state = async (id: string) => (await get(`/v1/players/${id}?consistency=strong`)).json();
  const books = async () => (await get('/v1/admin/economy', adminAuth)).json();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'realmstate-trades-'));
    file = join(dir, 'game.yaml');
    writeFileSync(file, CONFIG('enabled'));
    t = await startTestRealm(kind, { shards: 4, env: { REALMSTATE_CONFIG: file }, relay: { pollMs: 20 } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves both sides at once and answers with each side’s seq', async () => {
    const [a, b] = [uid('alice'), uid('bob')];
    await seed(a, { sword: 2 });
    await seed(b, {}, { gold: 500 });
    const body = { tradeId: uid('t'), a: { playerId: a, gives: { items: { sword: 1 } } }, b: { playerId: b, gives: { stats: { gold: 250 } } } };
    const res = await post('/v1/trades', body);
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json();
    expect(out).toEqual({ tradeId: body.tradeId, status: 'committed', a: { playerId: a, seq: expect.any(Number) }, b: { playerId: b, seq: expect.any(Number) } });
    const [sa, sb] = [await state(a), await state(b)];
    expect(sa).toMatchObject({ seq: out.a.seq, items: { sword: 1 }, stats: { gold: 250 } });
    expect(sb).toMatchObject({ seq: out.b.seq, items: { sword: 1 }, stats: { gold: 250 } });
    expect(sa.trades).toBeUndefined();
    // Each log has the trade's events with the trade id.
    const log = (await get(`/v1/players/${a}/events`)).json().events as Array<{ type: string; data: { tradeId?: string } }>;
    expect(log.filter((e) => e.type.startsWith('trade.')).map((e) => [e.type, e.data.tradeId])).toEqual([
      ['trade.hold', body.tradeId],
      ['trade.settle', body.tradeId],
    ]);
    const view = (await get(`/v1/trades/${body.tradeId}`)).json();
    expect(view).toMatchObject({ tradeId: body.tradeId, status: 'committed', a: { playerId: a, seq: out.a.seq }, b: { playerId: b, seq: out.b.seq } });
    expect(Date.parse(view.finishedAt)).toBeGreaterThanOrEqual(Date.parse(view.createdAt));

    // The same id and body: the first outcome, nothing applied again (also when sent at once).
    const again = await Promise.all([post('/v1/trades', body), post('/v1/trades', body)]);
    for (const r of again) expect(r.json()).toEqual(out);
    expect((await state(a)).seq).toBe(out.a.seq);
    // The same id, another body: 409.
    const other = await post('/v1/trades', { ...body, b: { playerId: b, gives: { stats: { gold: 1 } } } });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('conflict');
  });

  it('one request wins when the same new trade is sent many times at once', async () => {
    const [a, b] = [uid('c1'), uid('c2')];
    await seed(a, { gem: 1 });
    await seed(b, { gem: 1 });
    const body = { tradeId: uid('dup'), a: { playerId: a, gives: { items: { gem: 1 } } }, b: { playerId: b, gives: {} } };
    const answers = await Promise.all(Array.from({ length: 8 }, () => post('/v1/trades', body)));
    const bodies = answers.map((r) => r.json());
    for (const r of answers) expect(r.statusCode, r.body).toBe(200);
    expect(new Set(bodies.map((x) => JSON.stringify(x))).size).toBe(1);
    expect((await state(a)).items).toEqual({});
    expect((await state(b)).items).toEqual({ gem: 2 });
  });

  it('refuses with 422 when a side lacks what it gives, and nothing changes', async () => {
    const [a, b] = [uid('poor'), uid('rich')];
    await seed(a, { sword: 1 });
    await seed(b, { shield: 1 }, { gold: 10 });
    const before = [await state(a), await state(b)];
    const body = { tradeId: uid('t'), a: { playerId: a, gives: { items: { sword: 1 } } }, b: { playerId: b, gives: { stats: { gold: 11 } } } };
    const res = await post('/v1/trades', body);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error.code).toBe('rejected');
    expect(res.json().error.message).toContain('gold');
    const after = [await state(a), await state(b)];
    for (let i = 0; i < 2; i++) {
      expect(after[i].items).toEqual(before[i].items);
      expect(after[i].stats).toEqual(before[i].stats);
      expect(after[i].trades).toBeUndefined();
    }
    expect((await get(`/v1/trades/${body.tradeId}`)).json().status).toBe('rejected');
    // A retry gets the same 422.
    expect((await post('/v1/trades', body)).statusCode).toBe(422);
  });

  it('keeps held goods from being spent elsewhere, and the public route cannot append trade events', async () => {
    const a = uid('holder');
    await seed(a, { potion: 1 });
    await t.realm.players.appendInternal(a, [{ type: 'trade.hold', data: { tradeId: 'manual-hold', with: 'nobody', gives: { items: { potion: 1 } } } }]);
    const spend = await post(`/v1/players/${a}/events`, { events: [{ type: 'item.consume', data: { item: 'potion', qty: 1 } }] });
    expect(spend.statusCode).toBe(422);
    expect((await state(a)).trades).toEqual({ 'manual-hold': 'held' });
    await t.realm.players.appendInternal(a, [{ type: 'trade.release', data: { tradeId: 'manual-hold', returns: { items: { potion: 1 } } } }]);
    expect((await state(a)).items).toEqual({ potion: 1 });
    const forged = await post(`/v1/players/${a}/events`, { events: [{ type: 'trade.settle', data: { tradeId: 'x', from: 'y', receives: { items: { potion: 9 } } } }] });
    expect(forged.statusCode).toBe(400);
  });

  it('a trade racing a consume of the same item: one of them fails, nothing goes negative', async () => {
    for (let round = 0; round < 10; round++) {
      const [a, b] = [uid('racer'), uid('buyer')];
      await seed(a, { relic: 1 });
      await seed(b, {}, { gold: 5 });
      const [trade, consume] = await Promise.all([
        post('/v1/trades', { tradeId: uid('race'), a: { playerId: a, gives: { items: { relic: 1 } } }, b: { playerId: b, gives: { stats: { gold: 5 } } } }),
        post(`/v1/players/${a}/events`, { events: [{ type: 'item.consume', data: { item: 'relic', qty: 1 } }] }),
      ]);
      expect([trade.statusCode, consume.statusCode].sort(), `${trade.body} ${consume.body}`).toEqual([200, 422]);
      const [sa, sb] = [await state(a), await state(b)];
      const relics = (sa.items.relic ?? 0) + (sb.items.relic ?? 0);
      expect(relics).toBe(trade.statusCode === 200 ? 1 : 0);
      expect(sa.stats.gold ?? 0).toBeGreaterThanOrEqual(0);
      expect((sa.stats.gold ?? 0) + (sb.stats.gold ?? 0)).toBe(5);
    }
  });

  it('answers bad input with 400 and unknown players with 404', async () => {
    const [a, b] = [uid('x'), uid('y')];
    await seed(a, { coin: 5 });
    await seed(b, { coin: 5 });
    const side = (playerId: string, gives: unknown) => ({ playerId, gives });
    const bad: unknown[] = [
      { tradeId: uid('bad'), a: side(a, { items: { coin: 1 } }), b: side(a, {}) },
      { tradeId: uid('bad'), a: side(a, {}), b: side(b, {}) },
      { tradeId: uid('bad'), a: side(a, { items: { coin: -1 } }), b: side(b, {}) },
      { tradeId: uid('bad'), a: side(a, { items: { coin: 1.5 } }), b: side(b, {}) },
      { tradeId: uid('bad'), a: side(a, { items: { coin: 0 } }), b: side(b, {}) },
      { tradeId: uid('bad'), a: side(a, { items: { coin: 1 } }), b: side(b, {}), extra: 1 },
      { tradeId: 'bad id!', a: side(a, { items: { coin: 1 } }), b: side(b, {}) },
      { a: side(a, { items: { coin: 1 } }), b: side(b, {}) },
      { tradeId: uid('bad'), a: side(a, { gold: 1 }), b: side(b, {}) },
    ];
    for (const body of bad) {
      const res = await post('/v1/trades', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('invalid_argument');
    }
    const missing = await post('/v1/trades', { tradeId: uid('nf'), a: side(a, { items: { coin: 1 } }), b: side('nobody-here', {}) });
    expect(missing.statusCode).toBe(404);
    expect((await get(`/v1/trades/${uid('never')}`)).statusCode).toBe(404);
    expect((await get('/v1/admin/economy')).statusCode).toBe(403);
  });

  it('disabled in the game config: new trades get 503, known ones still answer', async () => {
    const [a, b] = [uid('s1'), uid('s2')];
    await seed(a, { ore: 3 });
    await seed(b, { ore: 3 });
    const known = { tradeId: uid('sw'), a: { playerId: a, gives: { items: { ore: 1 } } }, b: { playerId: b, gives: {} } };
    const first = await post('/v1/trades', known);
    expect(first.statusCode).toBe(200);
    writeFileSync(file, CONFIG('disabled'));
    await t.realm.config.reload();
    try {
      const res = await post('/v1/trades', { ...known, tradeId: uid('sw') });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.message).toContain('economy.trades');
      expect((await post('/v1/trades', known)).json()).toEqual(first.json());
    } finally {
      writeFileSync(file, CONFIG('enabled'));
      await t.realm.config.reload();
    }
    expect((await post('/v1/trades', { ...known, tradeId: uid('sw') })).statusCode).toBe(200);
  });

  it('a board that follows a stat sees the stat move with a trade', async () => {
    const board = uid('wealth');
    const put = await t.app.inject({ method: 'PUT', url: `/v1/leaderboards/${board}`, headers: adminAuth, payload: { order: 'desc', operator: 'set', stat: 'crowns' } });
    expect(put.statusCode, put.body).toBe(200);
    const [a, b] = [uid('lb1'), uid('lb2')];
    await seed(a, { gem: 1 }, { crowns: 100 });
    await seed(b, { gem: 1 }, { crowns: 10 });
    const res = await post('/v1/trades', { tradeId: uid('lbt'), a: { playerId: a, gives: { stats: { crowns: 60 } } }, b: { playerId: b, gives: { items: { gem: 1 } } } });
    expect(res.statusCode, res.body).toBe(200);
    const score = async (id: string) => (await get(`/v1/leaderboards/${board}/players/${id}`)).json().score as number | undefined;
    await waitFor(async () => (await score(a)) === 40 && (await score(b)) === 70, 'the board to follow the traded stat', 20_000);
  });

  it('random trades among players conserve every item and stat; the books balance and equal a rebuild', async () => {
    const random = seededRandom(kind === 'postgres' ? 17 : 71);
    const ids = Array.from({ length: 12 }, () => uid('rp'));
    for (const id of ids) await seed(id, { apple: 5, pear: 5 }, { gold: 100 });
    const pick = () => ids[Math.floor(random() * ids.length)] as string;
    const goods = () => (random() < 0.5 ? { items: { [random() < 0.5 ? 'apple' : 'pear']: 1 + Math.floor(random() * 4) } } : { stats: { gold: 1 + Math.floor(random() * 60) } });
    const trades = Array.from({ length: 120 }, () => {
      const a = pick();
      let b = pick();
      while (b === a) b = pick();
      return { tradeId: uid('rt'), a: { playerId: a, gives: goods() }, b: { playerId: b, gives: random() < 0.3 ? {} : goods() } };
    });
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (let i = w; i < trades.length; i += 6) {
          const r = await post('/v1/trades', trades[i]);
          statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
          expect([200, 422], r.body).toContain(r.statusCode);
        }
      }),
    );
    expect(statuses.get(200)).toBeGreaterThan(30);
    const totals = { apple: 0, pear: 0, gold: 0 };
    for (const id of ids) {
      const s = await state(id);
      expect(s.trades).toBeUndefined();
      totals.apple += s.items.apple ?? 0;
      totals.pear += s.items.pear ?? 0;
      totals.gold += s.stats.gold ?? 0;
    }
    expect(totals).toEqual({ apple: 5 * ids.length, pear: 5 * ids.length, gold: 100 * ids.length });
    // The books catch up with the stream, balance, and match a rebuild from the logs.
    let report: Awaited<ReturnType<typeof t.realm.economy.report>> | undefined;
    const rebuilt = await t.realm.economy.rebuild();
    await waitFor(async () => {
      report = await books();
      return report?.position === rebuilt.position;
    }, 'economy books to reach the end of the logs', 30_000);
    expect(report).toEqual(rebuilt);
    for (const line of [...Object.values(rebuilt.items), ...Object.values(rebuilt.stats)]) expect(line.balanced).toBe(true);
  });
});
