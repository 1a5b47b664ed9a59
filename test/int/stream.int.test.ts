// The outbox → stream path: every committed event is published exactly once (by message id), in seq order per
// player, even with two relaying processes, and even when NATS is down for a while during the appends.
import { afterEach, describe, expect, it } from 'vitest';
import type { PlayerEvent } from '../../src/players/index.js';
import type { StreamEvent } from '../../src/backends/event-bus.js';
import { openTestCluster, type TestCluster } from '../helpers/backends.js';
import { deleteStream, NATS_URL, PrivateNats, readStream, streamCount, uniqueStream, type StoredMessage } from '../helpers/nats.js';
import { startTestRealm, type TestRealm } from '../helpers/realm.js';

const add = (stat: string, amount: number): PlayerEvent => ({ type: 'stat.add', data: { stat, amount } });
const FAST_RELAY = { pollMs: 20, leaseRetryMs: 200, lagEveryMs: 100 };

async function until(check: () => Promise<boolean> | boolean, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(await check()).toBe(true);
}

/** Checks the books: every acknowledged (player, seq) published exactly once, in seq order per player. */
function checkBooks(messages: StoredMessage[], expected: Map<string, number>, subjectPrefix: string): void {
  const ids = messages.map((m) => m.msgId);
  expect(new Set(ids).size).toBe(ids.length);
  const perPlayer = new Map<string, number[]>();
  for (const m of messages) {
    expect(m.msgId).toBe(`${m.event.playerId}:${m.event.seq}`);
    expect(m.subject).toBe(`${subjectPrefix}.${m.event.type}`);
    perPlayer.set(m.event.playerId, [...(perPlayer.get(m.event.playerId) ?? []), m.event.seq]);
  }
  for (const [id, n] of expected) expect(perPlayer.get(id), id).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  expect(messages.length).toBe([...expected.values()].reduce((a, b) => a + b, 0));
}

describe('outbox relay to NATS JetStream', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('publishes thousands of events from concurrent players exactly once, in order, with two relaying processes', async () => {
    const { stream, subjectPrefix } = uniqueStream();
    cleanups.push(() => deleteStream(stream));
    const tc: TestCluster = await openTestCluster('postgres', 4);
    cleanups.push(tc.cleanup);
    const env = { NATS_URL, REALMSTATE_NATS_STREAM: stream, REALMSTATE_NATS_SUBJECT_PREFIX: subjectPrefix };
    const a = await startTestRealm('postgres', { cluster: tc, env, relay: FAST_RELAY });
    cleanups.push(a.close);
    const b = await startTestRealm('postgres', { cluster: tc, env, relay: FAST_RELAY });
    cleanups.push(b.close);
    // Players are split between the processes (a game would route a player to one server).
    const players = Array.from({ length: 100 }, (_, i) => `pub-${i}`);
    const expected = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 40 }, async (_, w) => {
        for (let i = 0; i < 30; i++) {
          const id = players[(w * 31 + i * 7) % players.length] as string;
          const realm = players.indexOf(id) % 2 ? a.realm : b.realm;
          const n = 1 + (i % 3);
          await realm.players.append(id, Array.from({ length: n }, () => add('xp', 1)), { durability: i % 4 === 0 ? 'batched' : 'sync' });
          expected.set(id, (expected.get(id) ?? 0) + n);
        }
      }),
    );
    await a.realm.players.flush();
    await b.realm.players.flush();
    const total = [...expected.values()].reduce((x, y) => x + y, 0);
    expect(total).toBeGreaterThan(2000);
    await until(async () => (await streamCount(stream)) >= total);
    await new Promise((r) => setTimeout(r, 300)); // anything extra would show up now
    checkBooks(await readStream(stream), expected, subjectPrefix);
    const rows = await Promise.all(tc.cluster.shards.map((s) => s.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox')));
    expect(rows.map((r) => r[0]?.n)).toEqual([0, 0, 0, 0]);
  });

  it('keeps accepting appends while NATS is down and publishes everything once it is back', async () => {
    const nats = await new PrivateNats().start();
    cleanups.push(() => nats.destroy());
    const { stream, subjectPrefix } = uniqueStream();
    const t: TestRealm = await startTestRealm('postgres', { env: { NATS_URL: nats.url, REALMSTATE_NATS_STREAM: stream, REALMSTATE_NATS_SUBJECT_PREFIX: subjectPrefix }, relay: FAST_RELAY });
    cleanups.push(t.close);
    const expected = new Map<string, number>();
    const append = async (round: number) => {
      for (let p = 0; p < 20; p++) {
        const id = `down-${p}`;
        await t.realm.players.append(id, [add('gold', round)]);
        expected.set(id, (expected.get(id) ?? 0) + 1);
      }
    };
    await append(1);
    await until(async () => (await streamCount(stream, nats.url)) === 20);
    await nats.stop();
    for (let r = 2; r <= 6; r++) await append(r);
    await until(async () => /realmstate_outbox_lag_rows\{shard="\d"\} [1-9]/.test(await t.realm.metrics.registry.metrics()));
    expect(await t.realm.readiness()).toMatchObject({ nats: 'down' });
    await nats.start();
    await until(async () => (await streamCount(stream, nats.url)) >= 120);
    await new Promise((r) => setTimeout(r, 300));
    checkBooks(await readStream(stream, nats.url), expected, subjectPrefix);
  });
});

describe('projections', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it.each(['pglite', 'postgres'] as const)('see every committed event once, in order, on %s with its default bus', async (kind) => {
    const t = await startTestRealm(kind, { relay: FAST_RELAY });
    cleanups.push(t.close);
    const seen: StreamEvent[] = [];
    await t.realm.projections.start({ name: 'count', types: ['stat.add'], handle: async (events) => void seen.push(...events) });
    for (let i = 0; i < 20; i++) {
      await t.realm.players.append(`proj-${i % 4}`, [add('kills', 1), { type: 'data.set', data: { key: 'k', value: i } }]);
    }
    await until(() => seen.length === 20);
    const perPlayer = new Map<string, number[]>();
    for (const e of seen) perPlayer.set(e.playerId, [...(perPlayer.get(e.playerId) ?? []), e.seq]);
    for (const seqs of perPlayer.values()) expect(seqs).toEqual([1, 3, 5, 7, 9]);
  });

  it('skips events redelivered after a restart, by the stored checkpoint', async () => {
    const { stream, subjectPrefix } = uniqueStream();
    cleanups.push(() => deleteStream(stream));
    const tc = await openTestCluster('postgres', 2);
    cleanups.push(tc.cleanup);
    const env = { NATS_URL, REALMSTATE_NATS_STREAM: stream, REALMSTATE_NATS_SUBJECT_PREFIX: subjectPrefix };
    const t = await startTestRealm('postgres', { cluster: tc, env, relay: FAST_RELAY, shards: 2 });
    const seen: string[] = [];
    await t.realm.projections.start({ name: 'once', handle: async (events) => void seen.push(...events.map((e) => `${e.playerId}:${e.seq}`)) });
    for (let i = 0; i < 10; i++) await t.realm.players.append(`ck-${i % 2}`, [add('x', 1)]);
    await until(() => seen.length === 10);
    await t.close();
    // A new consumer under the same projection name reads the stream from the start (as after losing its
    // JetStream position): the checkpoints make it skip what was applied.
    const t2 = await startTestRealm('postgres', { cluster: tc, env, relay: FAST_RELAY, shards: 2 });
    cleanups.push(t2.close);
    const nc = await (await import('nats')).connect({ servers: NATS_URL });
    await (await nc.jetstreamManager()).consumers.delete(stream, 'projection-once');
    await nc.close();
    await t2.realm.projections.start({ name: 'once', handle: async (events) => void seen.push(...events.map((e) => `${e.playerId}:${e.seq}`)) });
    await t2.realm.players.append('ck-0', [add('x', 1)]);
    await until(() => seen.length === 11);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.length).toBe(11);
    expect(seen.at(-1)).toBe('ck-0:6');
    expect(await t2.realm.metrics.registry.metrics()).toMatch(/realmstate_projection_events_total\{projection="once",result="skipped"\} 10/);
  });
});
