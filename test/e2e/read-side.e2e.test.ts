// The read side across processes: a write acknowledged by one process is never read older through another,
// reads survive Redis going away (and the cache recovers), and a replica serves only what is current.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PgCluster } from '../../src/backends/postgres/index.js';
import type { PlayerEvent } from '../../src/players/index.js';
import { createDatabases, openTestCluster } from '../helpers/backends.js';
import { startTestRealm } from '../helpers/realm.js';
import { deleteKeys, REDIS_TEST_URL as REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { getJson, postJson, startServerProcess } from '../helpers/server-process.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const add = (amount: number): PlayerEvent => ({ type: 'stat.add', data: { stat: 'xp', amount } });

async function until(check: () => Promise<boolean>, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(await check()).toBe(true);
}

describe('read side', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('never reads a write older through another server process (shared Redis)', async () => {
    const dbs = await createDatabases(4);
    cleanups.push(dbs.drop);
    const prefix = uniquePrefix();
    cleanups.push(() => deleteKeys(prefix));
    const env = { DATABASE_URLS: dbs.urls.join(','), REDIS_URL, REDIS_KEY_PREFIX: prefix };
    const dirs = [mkdtempSync(join(tmpdir(), 'rs-x-')), mkdtempSync(join(tmpdir(), 'rs-y-'))];
    cleanups.push(async () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    const x = await startServerProcess({ ...env, REALMSTATE_DATA_DIR: dirs[0] as string });
    cleanups.push(async () => void x.child.kill('SIGKILL'));
    const y = await startServerProcess({ ...env, REALMSTATE_DATA_DIR: dirs[1] as string });
    cleanups.push(async () => void y.child.kill('SIGKILL'));
    const players = ['two-0', 'two-1', 'two-2'];
    const sources = new Set<string>();
    for (let i = 0; i < 150; i++) {
      // Alternate the writer, so both processes hold the players in memory and each one's memory goes stale.
      const [writer, reader] = i % 3 === 0 ? [y, x] : [x, y];
      const id = players[i % players.length] as string;
      const ack = await postJson(`${writer.url}/v1/players/${id}/events`, { events: [add(1)] });
      expect(ack.status).toBe(200);
      const read = await getJson(`${reader.url}/v1/players/${id}`);
      expect(read.status).toBe(200);
      expect(read.body.seq as number, `read through the other process after seq ${ack.body.seq}`).toBeGreaterThanOrEqual(ack.body.seq as number);
      sources.add(read.headers.get('x-realmstate-source') ?? '');
      // The writer itself serves its own newest state from memory.
      const own = await getJson(`${writer.url}/v1/players/${id}`);
      expect([own.headers.get('x-realmstate-source'), own.body.seq]).toEqual(['memory', ack.body.seq]);
    }
    // The reader's memory was stale each time (the other process wrote last): it was passed over for the cache.
    expect([...sources]).toEqual(['cache']);
  });

  it('falls back to the database while Redis is down, keeps writing, and the cache recovers', async () => {
    const prefix = uniquePrefix();
    cleanups.push(() => deleteKeys(prefix));
    const redis = new URL(REDIS_URL);
    const proxy = await new TcpProxy(redis.hostname, Number(redis.port || 6379)).start();
    cleanups.push(() => proxy.cut());
    const tc = await openTestCluster('postgres', 2);
    cleanups.push(tc.cleanup);
    const env = { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_KEY_PREFIX: prefix };
    const writer = await startTestRealm('postgres', { cluster: tc, env, shards: 2 });
    cleanups.push(writer.close);
    const reader = await startTestRealm('postgres', { cluster: tc, env, shards: 2 });
    cleanups.push(reader.close);
    const read = async () => reader.realm.queries.get('cached');

    await writer.realm.players.append('cached', [add(1)]);
    expect((await read()).source).toBe('cache');

    await proxy.cut();
    const during = await writer.realm.players.append('cached', [add(1)]);
    expect(during.seq).toBe(2);
    const fallback = await read();
    expect(fallback.source).toBe('primary');
    expect(fallback.seq).toBe(2);
    expect((await reader.realm.readiness()).redis).toBe('down');

    await proxy.restore();
    // The failed cache write is retried in the background: the cache catches up without a new write.
    await until(async () => {
      const r = await read().catch(() => undefined);
      return r?.source === 'cache' && r.seq === 2;
    });
    expect(await writer.realm.metrics.registry.metrics()).toMatch(/realmstate_cache_write_failures_total [1-9]/);
  });

  it('serves from a replica only when it has caught up with the primary', async () => {
    const primary = await openTestCluster('postgres', 2);
    cleanups.push(primary.cleanup);
    const lagging = await openTestCluster('postgres', 2);
    cleanups.push(lagging.cleanup);
    // The "replica" databases: an older copy of the same players.
    const old = await startTestRealm('postgres', { cluster: lagging, shards: 2 });
    await old.realm.players.append('behind', [add(1)]);
    await old.realm.players.append('same', [add(5)]);
    await old.close();
    const writer = await startTestRealm('postgres', { cluster: primary, shards: 2 });
    cleanups.push(writer.close);
    await writer.realm.players.append('behind', [add(1)]);
    await writer.realm.players.append('behind', [add(1)]);
    await writer.realm.players.append('same', [add(5)]);
    await writer.realm.players.append('only-primary', [add(1)]);

    const cluster = new PgCluster(primary.urls, lagging.urls);
    const reader = await startTestRealm('postgres', { cluster: { ...primary, cluster, reopen: async () => cluster }, shards: 2 });
    cleanups.push(reader.close);
    const behind = await reader.realm.queries.get('behind');
    expect([behind.source, behind.seq]).toEqual(['primary', 2]);
    const same = await reader.realm.queries.get('same');
    expect([same.source, same.seq]).toEqual(['replica', 1]);
    const only = await reader.realm.queries.get('only-primary');
    expect(only.source).toBe('primary');
    const batch = await reader.realm.queries.getMany(['behind', 'same', 'only-primary', 'nobody']);
    expect(batch.missing).toEqual(['nobody']);
    // Strong reads never use the replica.
    expect((await reader.realm.queries.get('same', 'strong')).source).toBe('primary');
  });
});
