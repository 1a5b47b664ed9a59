// Lag from an acknowledged append to the message arriving from JetStream, at a steady rate, through the outbox
// relay; the baseline is the seed's dual write (publish straight to JetStream right after the insert), which is
// faster but loses or duplicates events on a crash.
import { performance } from 'node:perf_hooks';
import { connect, JSONCodec } from 'nats';
import { createDatabases } from '../../test/helpers/backends.js';
import { deleteStream, NATS_URL, uniqueStream } from '../../test/helpers/nats.js';
import { PgCluster } from '../../src/backends/postgres/index.js';
import { startTestRealm } from '../../test/helpers/realm.js';
import { percentile, type BenchRow, type Scenario } from '../harness.js';

interface Lag {
  p50: number;
  p99: number;
  received: number;
  /** Sends that failed (never acknowledged). */
  failed: number;
}

/** Drives `send(i)` at `rate` per second for `seconds` and measures ack → receipt through `subscribe`. */
async function measure(rate: number, seconds: number, send: (i: number) => Promise<string>, received: Map<string, number>): Promise<Lag> {
  const acked = new Map<string, number>();
  const total = rate * seconds;
  const started = performance.now();
  const inflight: Array<Promise<void>> = [];
  let failed = 0;
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // A send that fails (a database that cannot keep up refuses or times out) is counted, not acknowledged.
    inflight.push(send(i).then((id) => void acked.set(id, performance.now()), () => void failed++));
  }
  await Promise.all(inflight);
  const deadline = performance.now() + 30_000;
  while (received.size < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const lags: number[] = [];
  for (const [id, at] of acked) {
    const got = received.get(id);
    if (got !== undefined) lags.push(Math.max(0, got - at));
  }
  lags.sort((a, b) => a - b);
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), received: lags.length, failed };
}

export const streamLagScenario: Scenario = {
  name: 'stream-lag',
  title: 'append acknowledged → received from JetStream at a steady rate: outbox relay vs dual write',
  async run(ctx) {
    const rate = ctx.quick ? 1000 : 5000;
    const seconds = ctx.quick ? 2 : 10;
    const { stream, subjectPrefix } = uniqueStream();
    const dbs = await createDatabases(4);
    const cluster = new PgCluster(dbs.urls);
    const nc = await connect({ servers: NATS_URL });
    const codec = JSONCodec<{ playerId: string; seq: number }>();
    const received = new Map<string, number>();
    const sub = nc.subscribe(`${subjectPrefix}.>`);
    void (async () => {
      for await (const m of sub) {
        const e = codec.decode(m.data);
        received.set(`${e.playerId}:${e.seq}`, performance.now());
      }
    })();
    const t = await startTestRealm('postgres', {
      cluster: { cluster, reopen: async () => cluster, urls: dbs.urls, databases: dbs.names, cleanup: async () => {} },
      env: { NATS_URL, REALMSTATE_NATS_STREAM: stream, REALMSTATE_NATS_SUBJECT_PREFIX: subjectPrefix },
    });
    try {
      const players = 500;
      ctx.progress(`outbox relay at ${rate} events/s for ${seconds} s`);
      const seqs = new Array<number>(players).fill(0);
      const ours = await measure(rate, seconds, async (i) => {
        const p = i % players;
        const { seq } = await t.realm.players.append(`lag-${p}`, [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }]);
        seqs[p] = seq;
        return `lag-${p}:${seq}`;
      }, received);

      ctx.progress(`dual write at ${rate} events/s for ${seconds} s`);
      const js = nc.jetstream();
      const shard = cluster.shards[0]!;
      await shard.query('CREATE TABLE IF NOT EXISTS dual_events (player_id text, seq bigint, data jsonb, PRIMARY KEY (player_id, seq))');
      const dualSeqs = new Array<number>(players).fill(0);
      const dual = await measure(rate, seconds, async (i) => {
        const p = i % players;
        const seq = ++dualSeqs[p]!;
        const playerId = `dual-${p}`;
        await shard.query('INSERT INTO dual_events VALUES ($1, $2, $3)', [playerId, seq, JSON.stringify({ stat: 'xp', amount: 1 })]);
        await js.publish(`${subjectPrefix}.stat.add`, codec.encode({ playerId, seq }), { msgID: `${playerId}:${seq}` });
        return `${playerId}:${seq}`;
      }, received);
      const rows: BenchRow[] = [
        {
          scenario: 'stream-lag', metric: `ack → JetStream p50 at ${rate.toLocaleString()} ev/s`, unit: 'ms', ours: ours.p50, baseline: dual.p50, baselineName: 'dual write', better: 'lower',
          note: `received ${ours.received}/${rate * seconds} (relay) and ${dual.received}/${rate * seconds} (dual write)${ours.failed + dual.failed > 0 ? `; sends that failed: ${ours.failed} (relay), ${dual.failed} (dual write)` : ''}; the dual write acknowledges after its publish, so its lag is only delivery`,
        },
        { scenario: 'stream-lag', metric: `ack → JetStream p99 at ${rate.toLocaleString()} ev/s`, unit: 'ms', ours: ours.p99, baseline: dual.p99, baselineName: 'dual write', better: 'lower' },
      ];
      return rows;
    } finally {
      sub.unsubscribe();
      await t.close();
      await nc.close();
      await cluster.close();
      await dbs.drop();
      await deleteStream(stream);
    }
  },
};
