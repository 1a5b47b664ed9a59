// The admin shard routes (API.md "Shards"): the map, a dry run, bad input (unknown id 404, a shard down 503 naming
// it, two moves at once 409, cancel with nothing running 409) and a rebalance onto a new empty shard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateCluster, PgCluster } from '../../src/backends/postgres/index.js';
import { createDatabases, pgUrl } from '../helpers/backends.js';
import { adminAuth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const json = { ...adminAuth, 'content-type': 'application/json' };

describe('admin shard routes', () => {
  let t: TestRealm;
  let proxy: TcpProxy;
  let dbs: Awaited<ReturnType<typeof createDatabases>>;

  beforeAll(async () => {
    dbs = await createDatabases(5);
    const four = new PgCluster(dbs.urls.slice(0, 4));
    await migrateCluster(four);
    await four.close();
    proxy = await new TcpProxy('127.0.0.1', 5432).start();
    // The fifth database joins empty, reached through a proxy the test can cut.
    const urls = dbs.names.map((n, i) => (i === 4 ? proxy.url(n) : pgUrl(n)));
    const cluster = new PgCluster(urls);
    t = await startTestRealm('postgres', { cluster: { cluster, reopen: async () => cluster, urls, databases: dbs.names, cleanup: async () => {} } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await proxy?.cut();
    await dbs?.drop();
  });

  const post = (url: string, payload: unknown = {}) => t.app.inject({ method: 'POST', url, headers: json, payload: payload as object });

  it('lists the shards, the new one owning no slots', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/admin/shards', headers: adminAuth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.epoch).toBe(1);
    expect(body.move).toBeNull();
    expect(body.shards.map((s: { id: number; slots: number; state: string }) => [s.id, s.slots, s.state])).toEqual([
      [0, 1024, 'up'], [1, 1024, 'up'], [2, 1024, 'up'], [3, 1024, 'up'], [4, 0, 'up'],
    ]);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/shards' })).statusCode).toBe(401);
  });

  it('plans a rebalance without changing anything', async () => {
    const res = await post('/v1/admin/shards:rebalance', { dryRun: true });
    expect(res.statusCode).toBe(200);
    const moves = res.json().moves as Array<{ slot: number; from: number; to: number }>;
    expect(moves).toHaveLength(819);
    expect(new Set(moves.map((m) => m.to))).toEqual(new Set([4]));
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/shards', headers: adminAuth })).json().epoch).toBe(1);
  });

  it('refuses bad input: unknown shard 404, malformed id 400, cancel with nothing running 409', async () => {
    const unknown = await post('/v1/admin/shards/9:drain');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
    expect((await post('/v1/admin/shards/abc:drain')).statusCode).toBe(400);
    expect((await post('/v1/admin/shards:rebalance', { dryRun: 'yes' })).statusCode).toBe(400);
    const cancel = await post('/v1/admin/shards:cancel');
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json().error.code).toBe('conflict');
  });

  it('refuses a rebalance while a shard is down, naming it', async () => {
    await proxy.cut();
    try {
      const res = await post('/v1/admin/shards:rebalance');
      expect(res.statusCode).toBe(503);
      expect(res.json().error.message).toMatch(/shard 4/);
      const listed = await t.app.inject({ method: 'GET', url: '/v1/admin/shards', headers: adminAuth });
      expect(listed.json().shards[4].state).toBe('down');
    } finally {
      await proxy.restore();
    }
  });

  it('runs one rebalance at a time (409 for the second) and ends even', async () => {
    // The pool of the cut shard may need a moment to reconnect.
    let ready = false;
    for (let i = 0; i < 50 && !ready; i++) {
      ready = (await t.app.inject({ method: 'GET', url: '/v1/admin/shards', headers: adminAuth })).json().shards[4].state === 'up';
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    const [a, b] = await Promise.all([post('/v1/admin/shards:rebalance'), post('/v1/admin/shards:rebalance')]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([202, 409]);
    const started = (a.statusCode === 202 ? a : b).json().move;
    expect(started).toMatchObject({ kind: 'rebalance', state: 'running', slotsTotal: 819 });
    let body = (await t.app.inject({ method: 'GET', url: '/v1/admin/shards', headers: adminAuth })).json();
    for (let i = 0; i < 300 && body.move.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      body = (await t.app.inject({ method: 'GET', url: '/v1/admin/shards', headers: adminAuth })).json();
    }
    expect(body.move).toMatchObject({ id: started.id, state: 'done', slotsDone: 819, error: null });
    // The slot counts come from the newest map among the shards that answer the status's probe in time; under load
    // the new shard (which holds the newest map) can miss it once, so read again until every shard answered.
    for (let i = 0; i < 50 && body.shards.some((s: { state: string }) => s.state !== 'up'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      body = (await t.app.inject({ method: 'GET', url: '/v1/admin/shards', headers: adminAuth })).json();
    }
    expect(body.epoch).toBeGreaterThan(1);
    // The whole status in the message: a shard still counted at 1024 once (an older map won), not reproduced since.
    for (const s of body.shards) expect([819, 820], JSON.stringify(body)).toContain(s.slots);
    // The server learns the new epoch from the poll of the shards (or an announcement), within about a second.
    let seen = 0;
    for (let i = 0; i < 100 && seen !== body.epoch; i++) {
      seen = (await t.app.inject({ method: 'GET', url: '/readyz' })).json().details.shards.epoch;
      if (seen !== body.epoch) await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toBe(body.epoch);
  });
});
