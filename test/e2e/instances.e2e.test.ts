// GET /v1/admin/instances and the x-realmstate-instance header, outside a fleet and in a fleet of one.
import { afterEach, describe, expect, it } from 'vitest';
import { adminAuth, auth, startTestRealm, type TestRealm } from '../helpers/realm.js';

describe('instances', () => {
  let t: TestRealm | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('outside a fleet: one instance owning every slot, named on every response', async () => {
    t = await startTestRealm('pglite', { shards: 2 });
    const res = await t.app.inject({ method: 'GET', url: '/v1/admin/instances', headers: adminAuth });
    expect(res.statusCode).toBe(200);
    const { instances } = res.json() as { instances: Array<{ id: string; url: string | null; slots: number }> };
    expect(instances).toEqual([expect.objectContaining({ id: t.realm.fleet.id, url: null, slots: 4096 })]);
    expect(res.headers['x-realmstate-instance']).toBe(t.realm.fleet.id);
    const append = await t.app.inject({ method: 'POST', url: '/v1/players/p1/events', headers: auth, payload: { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }] } });
    expect(append.statusCode).toBe(200);
    expect(append.headers['x-realmstate-instance']).toBe(t.realm.fleet.id);
    const missing = await t.app.inject({ method: 'GET', url: '/v1/players/nobody', headers: auth });
    expect(missing.headers['x-realmstate-instance']).toBe(t.realm.fleet.id);
  });

  it('needs the admin key', async () => {
    t = await startTestRealm('pglite', { shards: 1 });
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/instances', headers: auth })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/instances' })).statusCode).toBe(401);
  });

  it('in a fleet of one: the instance holds every slot through its leases and serves its players', async () => {
    t = await startTestRealm('pglite', { shards: 2, env: { REALMSTATE_ADVERTISE_URL: 'http://127.0.0.1:9', REALMSTATE_LEASE_MS: '2000' } });
    const { instances } = (await t.app.inject({ method: 'GET', url: '/v1/admin/instances', headers: adminAuth })).json() as { instances: Array<{ id: string; url: string | null; slots: number }> };
    expect(instances).toEqual([expect.objectContaining({ id: t.realm.fleet.id, url: 'http://127.0.0.1:9', slots: 4096 })]);
    const append = await t.app.inject({ method: 'POST', url: '/v1/players/p1/events', headers: auth, payload: { durability: 'batched', events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }] } });
    expect(append.json()).toMatchObject({ seq: 1 });
  });
});
