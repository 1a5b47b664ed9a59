// The event stream on a 3-server NATS cluster (JetStream clustered, the stream with 3 replicas): the server the
// instance is connected to is killed under load, the relay goes on through the others while it stays down, and the
// books show every committed event published exactly once.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'nats';
import type { DeferredBus } from '../../src/backends/deferred-bus.js';
import { uniqueName } from '../helpers/backends.js';
import { readStream, streamCount } from '../helpers/nats.js';
import { PrivateNatsCluster } from '../helpers/nats-cluster.js';
import { auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { waitFor } from '../helpers/wait.js';

describe('NATS cluster', () => {
  let nats: PrivateNatsCluster;
  let t: TestRealm;
  const name = uniqueName('cluster');
  const stream = name.toUpperCase();
  const json = { ...auth, 'content-type': 'application/json' };

  beforeAll(async () => {
    nats = await new PrivateNatsCluster().start(3);
    // The load hammers 20 players as fast as it can: the per-player rate limit is not what this test is about.
    const configFile = join(mkdtempSync(join(tmpdir(), 'rs-nats-cluster-')), 'game.yaml');
    writeFileSync(configFile, 'version: 1\nlimits: { rateLimits: { perKeyPerSecond: 1000000, perPlayerPerSecond: 1000000, burst: 1000 } }\n');
    t = await startTestRealm('postgres', {
      shards: 2,
      env: { REALMSTATE_CONFIG: configFile, NATS_URL: nats.urls.join(','), REALMSTATE_NATS_REPLICAS: '3', REALMSTATE_NATS_STREAM: stream, REALMSTATE_NATS_SUBJECT_PREFIX: `${name}.events` },
      relay: { pollMs: 20 },
    });
    await (t.realm.bus as DeferredBus).whenReady();
  });
  afterAll(async () => {
    await t?.close();
    await nats?.stop();
  });

  it('creates the stream with 3 replicas', async () => {
    const nc = await connect({ servers: nats.urls });
    try {
      const info = await (await nc.jetstreamManager()).streams.info(stream);
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas?.length).toBe(2);
    } finally {
      await nc.close();
    }
    expect(t.realm.bus.describe()).toContain('with 3 replicas');
  });

  it('loses nothing and keeps relaying when the server it is connected to is killed under load', async () => {
    const connectedTo = await nats.serverOf('realmstate');
    expect(connectedTo).toBeGreaterThanOrEqual(0);
    const survivor = nats.urls.find((_, i) => i !== connectedTo) as string;

    const players = Array.from({ length: 20 }, (_, i) => `np${i}`);
    const acked = new Map<string, Set<number>>(players.map((p) => [p, new Set()]));
    const failures: string[] = [];
    let running = true;
    const worker = async (w: number) => {
      for (let i = 0; running; i++) {
        const playerId = players[(w * 7 + i) % players.length] as string;
        const res = await t.app.inject({ method: 'POST', url: `/v1/players/${playerId}/events`, headers: json, payload: JSON.stringify({ events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }] }) });
        if (res.statusCode === 200) acked.get(playerId)?.add(res.json().seq as number);
        else failures.push(`${res.statusCode} ${res.body}`);
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    const ackedCount = () => [...acked.values()].reduce((n, s) => n + s.size, 0);

    await waitFor(async () => (await streamCount(stream, survivor)) >= 200, 'events published before the kill', 30_000);
    await nats.kill(connectedTo);
    const ackedAtKill = ackedCount();
    // The relay goes on while the killed server stays down: events acknowledged after the kill reach the stream.
    await waitFor(async () => ackedCount() >= ackedAtKill + 300, 'appends after the kill', 60_000);
    await waitFor(async () => (await streamCount(stream, survivor)) >= ackedAtKill + 300, 'events of after the kill in the stream', 60_000);
    running = false;
    await Promise.all(workers);
    expect(failures).toEqual([]);

    // Every committed event (each request appended one), acknowledged or not, is published exactly once.
    let committed = 0;
    for (const p of players) {
      const state = await t.app.inject({ method: 'GET', url: `/v1/players/${p}?consistency=strong`, headers: auth });
      committed += state.json().seq as number;
    }
    await waitFor(async () => (await streamCount(stream, survivor)) >= committed, 'the outbox to drain', 60_000);
    const messages = await readStream(stream, survivor);
    const ids = new Set(messages.map((m) => m.msgId));
    expect(messages.length).toBe(committed);
    expect(ids.size).toBe(committed);
    for (const [p, seqs] of acked) for (const seq of seqs) expect(ids.has(`${p}:${seq}`), `${p}:${seq}`).toBe(true);
    expect(await nats.serverOf('realmstate')).not.toBe(connectedTo);
  }, 180_000);
});
