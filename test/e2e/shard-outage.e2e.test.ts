// One PostgreSQL shard down (its connections cut through a proxy): its players get 503, nothing is written,
// the other shards keep working, and the shard serves again once it is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgCluster } from '../../src/backends/postgres/index.js';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { createDatabases, pgUrl } from '../helpers/backends.js';
import { auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const json = { ...auth, 'content-type': 'application/json' };
const router = new ShardRouter(SlotMap.even(4));
const idsOn = (shard: number, n: number) => Array.from({ length: 500 }, (_, i) => `out-${i}`).filter((id) => router.shardOf(id) === shard).slice(0, n);

describe('a PostgreSQL shard goes down', () => {
  let t: TestRealm;
  let proxy: TcpProxy;
  let dbs: Awaited<ReturnType<typeof createDatabases>>;

  beforeAll(async () => {
    dbs = await createDatabases(4);
    proxy = await new TcpProxy('127.0.0.1', 5432).start();
    const urls = dbs.names.map((n, i) => (i === 2 ? proxy.url(n) : pgUrl(n)));
    const cluster = new PgCluster(urls);
    t = await startTestRealm('postgres', {
      cluster: { cluster, reopen: async () => cluster, urls, databases: dbs.names, cleanup: async () => {} },
    });
  });
  afterAll(async () => {
    await t.close();
    await proxy.cut();
    await dbs.drop();
  });

  const append = (id: string) => t.app.inject({ method: 'POST', url: `/v1/players/${id}/events`, headers: json, payload: { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }] } });

  it('answers 503 for that shard only, writes nothing, and recovers', async () => {
    const [down1, down2] = idsOn(2, 2) as [string, string];
    const [up1] = idsOn(0, 1) as [string];
    expect((await append(down1)).statusCode).toBe(200);
    expect((await append(up1)).statusCode).toBe(200);

    await proxy.cut();
    const failed = await append(down1);
    expect(failed.statusCode).toBe(503);
    expect(failed.json().error.code).toBe('unavailable');
    expect((await append(down2)).statusCode).toBe(503);
    expect((await append(up1)).statusCode).toBe(200);
    const batch = await t.app.inject({ method: 'POST', url: '/v1/players:batchGet', headers: json, payload: { ids: [up1, down2] } });
    expect(batch.statusCode).toBe(503);
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().backends).toMatchObject({ 'shard-0': 'up', 'shard-2': 'down' });

    await proxy.restore();
    // The shard's writer backs off briefly after failures; retry until it is back.
    let res = await append(down1);
    for (let i = 0; i < 50 && res.statusCode === 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await append(down1);
    }
    expect(res.statusCode).toBe(200);
    expect(res.json().seq).toBe(2);
    const strong = await t.app.inject({ method: 'GET', url: `/v1/players/${down1}?consistency=strong`, headers: auth });
    expect(strong.json()).toMatchObject({ seq: 2, stats: { xp: 2 } });
    expect((await t.app.inject({ method: 'GET', url: `/v1/players/${down2}`, headers: auth })).statusCode).toBe(404);
  });
});
