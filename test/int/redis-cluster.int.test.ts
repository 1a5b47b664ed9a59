// Realmstate on a 3-master Redis Cluster of the test's own (REDIS_CLUSTER_NODES): boards whose hash tags land on
// different masters, a slot moved under load (ASK, then MOVED, followed by the client), the player cache shared by
// two realms, config announcements over the cluster's pub/sub, and the fleet's rate-limit buckets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBroadcast } from '../../src/backends/redis/redis-broadcast.js';
import { RedisTokenBuckets } from '../../src/backends/redis/redis-token-buckets.js';
import { auth, adminAuth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { deleteClusterKeys, keySlot, PrivateRedisCluster } from '../helpers/redis-cluster.js';
import { uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

describe('Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let t: TestRealm;
  const prefix = uniquePrefix();
  const json = { ...auth, 'content-type': 'application/json' };
  const setKey = (board: string) => `${prefix}lb:{${board}|all||desc}:z`;
  const submit = (board: string, playerId: string, score: number, app = t.app) =>
    app.inject({ method: 'POST', url: `/v1/leaderboards/${board}/scores`, headers: json, payload: JSON.stringify({ playerId, score }) });

  beforeAll(async () => {
    cluster = await new PrivateRedisCluster().start();
    t = await startTestRealm('pglite', { env: { REDIS_CLUSTER_NODES: cluster.nodes.join(','), REDIS_KEY_PREFIX: prefix } });
  });
  afterAll(async () => {
    await t?.close();
    await deleteClusterKeys(cluster, prefix).catch(() => 0);
    await cluster?.stop();
  });

  it('says it runs on the cluster and is ready', async () => {
    expect(t.realm.describe()).toContain(`leaderboards: Redis cluster ${cluster.nodes.join(',')}`);
    expect((await t.realm.readiness()).redis).toBe('up');
  });

  it('serves boards on every master: submit, top, rank, around', async () => {
    // Boards until each master holds at least one.
    const byPort = new Map<number, string>();
    for (let i = 0; byPort.size < 3 && i < 100; i++) {
      const board = `spread-${i}`;
      const port = await cluster.portOf(setKey(board));
      if (!byPort.has(port)) byPort.set(port, board);
    }
    expect(byPort.size).toBe(3);
    for (const board of byPort.values()) {
      expect((await t.app.inject({ method: 'PUT', url: `/v1/leaderboards/${board}`, headers: { ...adminAuth, 'content-type': 'application/json' }, payload: '{"order":"desc","operator":"best"}' })).statusCode).toBe(200);
      for (let p = 0; p < 20; p++) expect((await submit(board, `p${p}`, p * 10)).statusCode).toBe(200);
      const top = (await t.app.inject({ method: 'GET', url: `/v1/leaderboards/${board}/top?limit=3`, headers: auth })).json();
      expect(top.entries).toEqual([{ rank: 1, playerId: 'p19', score: 190 }, { rank: 2, playerId: 'p18', score: 180 }, { rank: 3, playerId: 'p17', score: 170 }]);
      expect((await t.app.inject({ method: 'GET', url: `/v1/leaderboards/${board}/players/p5`, headers: auth })).json()).toEqual({ playerId: 'p5', score: 50, rank: 15 });
      const around = (await t.app.inject({ method: 'GET', url: `/v1/leaderboards/${board}/around/p5?limit=1`, headers: auth })).json();
      expect(around.entries.map((e: { playerId: string }) => e.playerId)).toEqual(['p6', 'p5', 'p4']);
      // The board's keys really are on that master.
      const port = await cluster.portOf(setKey(board));
      expect(await cluster.onNode(port, (c) => c.zcard(setKey(board)))).toBe(20);
    }
  });

  it('follows ASK and MOVED while a board\'s slot moves to another master under load', async () => {
    const board = 'moving';
    await t.app.inject({ method: 'PUT', url: `/v1/leaderboards/${board}`, headers: { ...adminAuth, 'content-type': 'application/json' }, payload: '{"order":"desc","operator":"incr"}' });
    const from = await cluster.portOf(setKey(board));
    const to = cluster.ports.find((p) => p !== from) as number;
    let accepted = 0;
    const failures: string[] = [];
    let reads = 0;
    // Clients keep submitting and reading while the slot moves key by key (the board's keys are split between the
    // two masters for a moment after each key: multi-key scripts get TRYAGAIN then, and the client retries them).
    let moving = true;
    const client = async (i: number) => {
      while (moving) {
        const r = await submit(board, `m${i}`, 1);
        if (r.statusCode === 200) accepted++;
        else failures.push(r.body);
        const top = await t.app.inject({ method: 'GET', url: `/v1/leaderboards/${board}/top?limit=10`, headers: auth });
        if (top.statusCode === 200) reads++;
        else failures.push(top.body);
      }
    };
    const clients = Array.from({ length: 4 }, (_, i) => client(i));
    await waitFor(() => accepted >= 20, 'submissions before the move');
    await cluster.moveSlot(keySlot(setKey(board)), to, () => new Promise((r) => setTimeout(r, 10)));
    const afterMove = accepted;
    await waitFor(() => accepted >= afterMove + 20, 'submissions after the move');
    moving = false;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    expect(await cluster.portOf(setKey(board))).toBe(to);
    expect(await cluster.onNode(to, (c) => c.zcard(setKey(board)))).toBe(4);
    const top = (await t.app.inject({ method: 'GET', url: `/v1/leaderboards/${board}/top?limit=10`, headers: auth })).json();
    expect(top.entries.reduce((n: number, e: { score: number }) => n + e.score, 0)).toBe(accepted);
  });

  it('shares the player cache between two realms on the cluster', async () => {
    const other = await startTestRealm('pglite', { cluster: t.cluster, env: { REDIS_CLUSTER_NODES: cluster.nodes.join(','), REDIS_KEY_PREFIX: prefix } });
    try {
      for (let i = 0; i < 30; i++) {
        const id = `cached-${i}`;
        const ack = await t.app.inject({ method: 'POST', url: `/v1/players/${id}/events`, headers: json, payload: JSON.stringify({ events: [{ type: 'stat.add', data: { stat: 'xp', amount: i + 1 } }] }) });
        expect(ack.statusCode).toBe(200);
      }
      const batch = await other.app.inject({ method: 'POST', url: '/v1/players:batchGet', headers: json, payload: JSON.stringify({ ids: Array.from({ length: 30 }, (_, i) => `cached-${i}`) }) });
      expect(batch.json().players.map((p: { stats: { xp: number } }) => p.stats.xp)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      const one = await other.app.inject({ method: 'GET', url: '/v1/players/cached-7', headers: auth });
      expect(one.headers['x-realmstate-source']).toBe('cache');
      expect(one.json().stats.xp).toBe(8);
    } finally {
      await other.close();
    }
  });

  it('keeps the fleet\'s rate-limit buckets on the cluster, each on the master of its own slot', async () => {
    const client = await cluster.client();
    try {
      const store = new RedisTokenBuckets(client, { keyPrefix: prefix });
      const ports = new Set<number>();
      for (let i = 0; i < 12; i++) {
        const bucket = `player:rl-${i}`;
        expect(await store.take(bucket, { perSecond: 1, capacity: 3 }, 2)).toEqual({ granted: 2, retryAfterMs: 0 });
        const next = await store.take(bucket, { perSecond: 1, capacity: 3 }, 5);
        expect(next.granted).toBe(1);
        expect(next.retryAfterMs).toBeGreaterThan(0);
        ports.add(await cluster.portOf(`${prefix}rl:{${bucket}}`));
      }
      expect(ports.size).toBe(3);
    } finally {
      client.disconnect();
    }
  });

  it('announces config changes over the cluster\'s pub/sub', async () => {
    const channel = `${prefix}config`;
    const a = new RedisBroadcast({ clusterNodes: cluster.nodes }, channel);
    const b = new RedisBroadcast({ clusterNodes: [cluster.nodes[2] as string] }, channel);
    try {
      const heard: string[] = [];
      await b.subscribe((m) => heard.push(m));
      await a.subscribe(() => {});
      await a.publish('{"version":2,"hash":"abc"}');
      await waitFor(() => heard.length === 1, 'the announcement');
      expect(heard).toEqual(['{"version":2,"hash":"abc"}']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
