// The Players routes of API.md through the HTTP layer (fastify inject), on both SQL backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { SQL_KINDS } from '../helpers/backends.js';
import { adminAuth, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';

const json = { ...auth, 'content-type': 'application/json' };
const statAdd = (stat: string, amount: number) => ({ type: 'stat.add', data: { stat, amount } });

describe.each(SQL_KINDS)('players API on %s', (kind) => {
  let t: TestRealm;
  const post = (url: string, body: unknown, headers: Record<string, string> = json) =>
    t.app.inject({ method: 'POST', url, headers, payload: typeof body === 'string' ? body : JSON.stringify(body) });
  const get = (url: string, headers: Record<string, string> = auth) => t.app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    t = await startTestRealm(kind);
  });
  afterAll(async () => t.close());

  it('creates a player with its first events and reads it back', async () => {
    const res = await post('/v1/players/aria/events', {
      events: [statAdd('xp', 120), { type: 'stat.set', data: { stat: 'gold', value: 5 } }, { type: 'item.grant', data: { item: 'sword', qty: 1 } }, { type: 'data.set', data: { key: 'name', value: 'Aria' } }],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.seq).toBe(4);
    expect(body.state).toMatchObject({ playerId: 'aria', seq: 4, stats: { xp: 120, gold: 5 }, items: { sword: 1 }, data: { name: 'Aria' } });
    expect(Date.parse(body.state.createdAt)).not.toBeNaN();

    const read = await get('/v1/players/aria');
    expect(read.statusCode).toBe(200);
    expect(read.headers['x-realmstate-source']).toBe('memory');
    expect(read.json()).toEqual(body.state);

    const strong = await get('/v1/players/aria?consistency=strong');
    expect(strong.headers['x-realmstate-source']).toBe('primary');
    expect(strong.json()).toEqual(body.state);
  });

  it('accepts the admin key on game routes', async () => {
    expect((await get('/v1/players/aria', adminAuth)).statusCode).toBe(200);
  });

  it('401 without a key or with a wrong one; ops routes need none', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-key-wrong-key' }, { authorization: 'Basic abc' }, { authorization: `Bearer ${'x'.repeat(2000)}` }]) {
      const res = await get('/v1/players/aria', headers);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('unauthenticated');
    }
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json']) expect((await get(url, {})).statusCode).toBe(200);
  });

  it('404 for an unknown player, its events, its state-at, and an unknown route', async () => {
    for (const url of ['/v1/players/nobody', '/v1/players/nobody/events', '/v1/players/nobody/state-at?seq=1', '/v1/nothing-here']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect((await get('/no-such-route', {})).statusCode).toBe(404);
  });

  it('400 for every kind of bad input, and the server keeps serving', async () => {
    const bad: Array<[string, () => ReturnType<typeof post>]> = [
      ['malformed JSON', () => post('/v1/players/p/events', '{"events": [')],
      ['not an object', () => post('/v1/players/p/events', '[1,2]')],
      ['empty body', () => post('/v1/players/p/events', '')],
      ['unknown type', () => post('/v1/players/p/events', { events: [{ type: 'stat.explode', data: {} }] })],
      ['wrong field type', () => post('/v1/players/p/events', { events: [{ type: 'stat.add', data: { stat: 'xp', amount: '5' } }] })],
      ['fractional', () => post('/v1/players/p/events', { events: [statAdd('xp', 0.5)] })],
      ['above 2^53', () => post('/v1/players/p/events', '{"events":[{"type":"stat.add","data":{"stat":"xp","amount":9007199254740993}}]}')],
      ['bad stat name', () => post('/v1/players/p/events', { events: [statAdd('x p', 1)] })],
      ['no events', () => post('/v1/players/p/events', { events: [] })],
      ['101 events', () => post('/v1/players/p/events', { events: Array(101).fill(statAdd('xp', 1)) })],
      ['unknown field', () => post('/v1/players/p/events', { events: [statAdd('xp', 1)], extra: true })],
      ['bad durability', () => post('/v1/players/p/events', { events: [statAdd('xp', 1)], durability: 'maybe' })],
      ['bad id', () => post('/v1/players/bad%20id/events', { events: [statAdd('xp', 1)] })],
      ['long id', () => post(`/v1/players/${'a'.repeat(65)}/events`, { events: [statAdd('xp', 1)] })],
      ['proto pollution', () => post('/v1/players/p/events', '{"events":[{"type":"data.set","data":{"key":"k","value":{"__proto__":{"x":1}}}}]}')],
      ['not JSON content type', () => post('/v1/players/p/events', 'events=1', { ...auth, 'content-type': 'text/plain' })],
      ['bad id on read', () => get('/v1/players/bad!id')],
      ['limit 0', () => get('/v1/players/aria/events?limit=0')],
      ['limit 1001', () => get('/v1/players/aria/events?limit=1001')],
      ['after -1', () => get('/v1/players/aria/events?after=-1')],
      ['after text', () => get('/v1/players/aria/events?after=abc')],
      ['state-at 0', () => get('/v1/players/aria/state-at?seq=0')],
      ['state-at past the end', () => get('/v1/players/aria/state-at?seq=999')],
      ['state-at missing seq', () => get('/v1/players/aria/state-at')],
      ['bad consistency', () => get('/v1/players/aria?consistency=psychic')],
      ['batchGet no ids', () => post('/v1/players:batchGet', { ids: [] })],
      ['batchGet 1001 ids', () => post('/v1/players:batchGet', { ids: Array.from({ length: 1001 }, (_, i) => `p${i}`) })],
      ['batchGet bad id', () => post('/v1/players:batchGet', { ids: ['ok', 'not ok'] })],
    ];
    for (const [name, send] of bad) {
      const res = await send();
      expect(res.statusCode, name).toBe(400);
      expect(res.json().error.code, name).toBe('invalid_argument');
      expect(typeof res.json().error.message, name).toBe('string');
    }
    // Nothing was written for "p", and the server still answers.
    expect((await get('/v1/players/p')).statusCode).toBe(404);
    expect((await post('/v1/players/p/events', { events: [statAdd('xp', 1)] })).statusCode).toBe(200);
  });

  it('413 for a body over 1 MiB', async () => {
    const res = await post('/v1/players/big/events', { events: [{ type: 'data.set', data: { key: 'k', value: 'x'.repeat(1024 * 1024) } }] });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
  });

  it('409 with currentSeq when expectedSeq does not match', async () => {
    expect((await post('/v1/players/cas/events', { events: [statAdd('xp', 1)], expectedSeq: 0 })).statusCode).toBe(200);
    const again = await post('/v1/players/cas/events', { events: [statAdd('xp', 1)], expectedSeq: 0 });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'conflict' }, currentSeq: 1 });
    const stale = await post('/v1/players/cas/events', { events: [statAdd('xp', 1)], expectedSeq: 5 });
    expect(stale.json().currentSeq).toBe(1);
    expect((await post('/v1/players/cas/events', { events: [statAdd('xp', 1)], expectedSeq: 1 })).json().seq).toBe(2);
    expect((await post('/v1/players/new-one/events', { events: [statAdd('xp', 1)], expectedSeq: 3 })).json()).toMatchObject({ currentSeq: 0 });
  });

  it('422 for a well-formed event that breaks an invariant, and nothing is written', async () => {
    await post('/v1/players/inv/events', { events: [{ type: 'item.grant', data: { item: 'potion', qty: 1 } }] });
    const cases = [
      [{ type: 'item.grant', data: { item: 'potion', qty: 5 } }, { type: 'item.consume', data: { item: 'potion', qty: 7 } }],
      [statAdd('hp', -1)],
    ];
    for (const events of cases) {
      const res = await post('/v1/players/inv/events', { events });
      expect(res.statusCode).toBe(422);
      expect(res.json().error.code).toBe('rejected');
    }
    const state = (await get('/v1/players/inv?consistency=strong')).json();
    expect(state.seq).toBe(1);
    expect(state.items).toEqual({ potion: 1 });
    expect((await get('/v1/players/inv/events')).json().events).toHaveLength(1);
  });

  it('400 for a stat.set below 0: the request schema (and the document) allow 0 to 2^53−1', async () => {
    const res = await post('/v1/players/inv-set/events', { events: [{ type: 'stat.set', data: { stat: 'hp', value: -3 } }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_argument');
    expect((await get('/v1/players/inv-set')).statusCode).toBe(404);
  });

  it('serializes concurrent appends on one player: 50 × stat.add 1 gives +50 and seq 50', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => post('/v1/players/hot/events', { events: [statAdd('kills', 1)] })));
    expect(results.map((r) => r.statusCode).every((s) => s === 200)).toBe(true);
    expect(results.map((r) => r.json().seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const strong = (await get('/v1/players/hot?consistency=strong')).json();
    expect(strong).toMatchObject({ seq: 50, stats: { kills: 50 } });
  });

  it('reads a batch across all shards, reporting the missing ids', async () => {
    const router = new ShardRouter(SlotMap.even(4));
    const ids = Array.from({ length: 40 }, (_, i) => `batch-${i}`);
    expect(new Set(ids.map((id) => router.shardOf(id))).size).toBe(4);
    await Promise.all(ids.map((id, i) => post(`/v1/players/${id}/events`, { events: [statAdd('n', i)] })));
    // A fresh realm on the same data reads from the databases, not from memory.
    const fresh = await startTestRealm(kind, { cluster: t.cluster });
    try {
      const res = await fresh.app.inject({ method: 'POST', url: '/v1/players:batchGet', headers: json, payload: { ids: [...ids, 'batch-missing', ids[0]] } });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.missing).toEqual(['batch-missing']);
      expect(body.players.map((p: { playerId: string }) => p.playerId)).toEqual(ids);
      expect(body.players.map((p: { stats: { n: number } }) => p.stats.n)).toEqual(ids.map((_, i) => i));
    } finally {
      await fresh.close();
    }
  });

  it('pages through the event log and replays any seq', async () => {
    for (let i = 0; i < 5; i++) await post('/v1/players/pager/events', { events: [statAdd('xp', 10), statAdd('xp', 1)] });
    const page1 = (await get('/v1/players/pager/events?limit=4')).json();
    expect(page1.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(page1.nextAfter).toBe(4);
    const page3 = (await get('/v1/players/pager/events?after=8&limit=4')).json();
    expect(page3.events.map((e: { seq: number }) => e.seq)).toEqual([9, 10]);
    expect(page3.nextAfter).toBeNull();
    expect(page3.events[0]).toMatchObject({ type: 'stat.add', data: { stat: 'xp', amount: 10 } });
    expect((await get('/v1/players/pager/state-at?seq=3')).json().stats).toEqual({ xp: 21 });
    expect((await get('/v1/players/pager/state-at?seq=10')).json()).toEqual((await get('/v1/players/pager')).json());
  });

  it('serves metrics and an OpenAPI document listing every route', async () => {
    const metrics = (await get('/metrics', {})).body;
    expect(metrics).toMatch(/realmstate_http_requests_total\{route="\/v1\/players\/:id\/events",method="POST",status="200"\}/);
    expect(metrics).toMatch(/realmstate_group_commit_batch_events_bucket/);
    const doc = (await get('/openapi.json', {})).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/players/{id}/events', '/v1/players/{id}', '/v1/players:batchGet', '/v1/players/{id}/state-at', '/healthz']));
    expect(doc.paths['/v1/players/{id}/events'].post.requestBody.content['application/json'].schema.properties.events).toBeDefined();
  });
});
