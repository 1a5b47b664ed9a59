// Random trades among 50 players on 4 PostgreSQL shards from two server processes, with a kill -9 of one process
// and a cut of one shard's connections in the middle. Afterwards every trade is committed (both sides settled) or
// rejected / rolled back (nothing held), every item and stat total is what it was, each trade id touched each log
// at most once, retries of every id answer the first outcome without applying anything, and the books balance and
// equal a rebuild from the logs. REALMSTATE_TEST_TRADES sets the number of trades (default 300; 1000 for the soak).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PgCluster } from '../../src/backends/postgres/index.js';
import { EconomyBooks } from '../../src/economy/index.js';
import { silentLogger } from '../../src/log.js';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { createDatabases, PG_ADMIN_URL } from '../helpers/backends.js';
import { adminHeaders, getJson, postJson, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { deleteStream, NATS_URL, uniqueStream } from '../helpers/nats.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';

const TRADES = Number(process.env.REALMSTATE_TEST_TRADES ?? 300);
const PLAYERS = 50;
const START = { apple: 20, pear: 20, gold: 1000 };

interface Trade {
  tradeId: string;
  a: { playerId: string; gives: { items?: Record<string, number>; stats?: Record<string, number> } };
  b: { playerId: string; gives: { items?: Record<string, number>; stats?: Record<string, number> } };
}

describe('trades through a crash and a shard cut', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it(`settles or rolls back all ${TRADES} trades, conserves everything and balances the books`, async () => {
    const dbs = await createDatabases(4);
    cleanups.push(dbs.drop);
    const pgPort = Number(new URL(PG_ADMIN_URL).port || 5432);
    const proxy = await new TcpProxy('127.0.0.1', pgPort).start();
    cleanups.push(() => proxy.cut());
    const urls = [...dbs.urls];
    urls[2] = proxy.url(dbs.names[2] as string);
    const nats = uniqueStream();
    cleanups.push(() => deleteStream(nats.stream));
    const dirs = [mkdtempSync(join(tmpdir(), 'rs-trade-a-')), mkdtempSync(join(tmpdir(), 'rs-trade-b-'))];
    cleanups.push(async () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    const env = { DATABASE_URLS: urls.join(','), NATS_URL, REALMSTATE_NATS_STREAM: nats.stream, REALMSTATE_NATS_SUBJECT_PREFIX: nats.subjectPrefix };
    const servers: ServerProcess[] = [];
    for (const d of dirs) servers.push(await startServerProcess({ ...env, REALMSTATE_DATA_DIR: d }));
    for (const s of servers) cleanups.push(async () => void s.child.kill('SIGKILL'));
    const [doomed, survivor] = servers as [ServerProcess, ServerProcess];

    const ids = Array.from({ length: PLAYERS }, (_, i) => `trader-${i}`);
    for (const id of ids) {
      const res = await postJson(`${survivor.url}/v1/players/${id}/events`, {
        events: [
          { type: 'item.grant', data: { item: 'apple', qty: START.apple } },
          { type: 'item.grant', data: { item: 'pear', qty: START.pear } },
          { type: 'stat.add', data: { stat: 'gold', amount: START.gold } },
        ],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }

    const random = seededRandom(1017);
    const pick = () => ids[Math.floor(random() * ids.length)] as string;
    const goods = () => (random() < 0.6 ? { items: { [random() < 0.5 ? 'apple' : 'pear']: 1 + Math.floor(random() * 8) } } : { stats: { gold: 1 + Math.floor(random() * 400) } });
    const trades: Trade[] = Array.from({ length: TRADES }, (_, i) => {
      const a = pick();
      let b = pick();
      while (b === a) b = pick();
      return { tradeId: `trade-${i}`, a: { playerId: a, gives: goods() }, b: { playerId: b, gives: random() < 0.25 ? {} : goods() } };
    });

    const seen = new Map<string, number>();
    const count = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
    let sent = 0;
    const send = async (trade: Trade, w: number) => {
      const server = w % 2 === 0 && doomed.child.exitCode === null && doomed.child.signalCode === null ? doomed : survivor;
      try {
        const res = await postJson(`${server.url}/v1/trades`, trade);
        count(String(res.status));
        expect([200, 422, 503], JSON.stringify(res.body)).toContain(res.status);
      } catch (err) {
        // The doomed process died with the request in hand: its outcome is read below.
        count('no answer');
        if (server !== doomed) throw err;
      }
    };
    let faults: Promise<void> | undefined;
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < trades.length; i += 8) {
          sent++;
          if (sent === Math.floor(trades.length / 3) && !faults) {
            faults = (async () => {
              await proxy.cut();
              await new Promise((r) => setTimeout(r, 1500));
              doomed.child.kill('SIGKILL');
              await proxy.restore();
            })();
          }
          await send(trades[i] as Trade, w);
        }
      }),
    );
    await faults;
    await doomed.exited;
    expect(seen.get('200') ?? 0, JSON.stringify([...seen])).toBeGreaterThan(TRADES / 5);

    // Recovery finishes every trade within seconds: none pending, every one settled.
    const views = new Map<string, Record<string, unknown>>();
    await waitFor(async () => {
      for (const t of trades) {
        if (views.get(t.tradeId)?.finishedAt) continue;
        const res = await getJson(`${survivor.url}/v1/trades/${t.tradeId}`);
        if (res.status === 404) views.set(t.tradeId, { status: 'never', finishedAt: 'n/a' });
        else if (res.status === 200) views.set(t.tradeId, res.body);
      }
      return trades.every((t) => views.get(t.tradeId)?.finishedAt);
    }, 'every trade to finish', 60_000);

    // Each trade id touched each log at most once; committed trades settled both sides, others hold nothing.
    const logs = new Map<string, Array<{ seq: number; type: string; data: { tradeId?: string } }>>();
    const totals = { apple: 0, pear: 0, gold: 0 };
    const seqs = new Map<string, number>();
    for (const id of ids) {
      const state = await getJson(`${survivor.url}/v1/players/${id}?consistency=strong`);
      const s = state.body as { seq: number; items: Record<string, number>; stats: Record<string, number>; trades?: Record<string, string> };
      seqs.set(id, s.seq);
      totals.apple += s.items.apple ?? 0;
      totals.pear += s.items.pear ?? 0;
      totals.gold += s.stats.gold ?? 0;
      for (const v of Object.values(s.items)) expect(v).toBeGreaterThan(0);
      for (const v of Object.values(s.stats)) expect(v).toBeGreaterThanOrEqual(0);
      expect(Object.values(s.trades ?? {}).filter((m) => m === 'held'), id).toEqual([]);
      const events: Array<{ seq: number; type: string; data: { tradeId?: string } }> = [];
      for (let after = 0; ; ) {
        const page = (await getJson(`${survivor.url}/v1/players/${id}/events?after=${after}&limit=1000`)).body as { events: typeof events; nextAfter: number | null };
        events.push(...page.events);
        if (page.nextAfter === null) break;
        after = page.nextAfter;
      }
      logs.set(id, events);
    }
    expect(totals).toEqual({ apple: START.apple * PLAYERS, pear: START.pear * PLAYERS, gold: START.gold * PLAYERS });
    const statuses = new Map<string, number>();
    for (const t of trades) {
      const status = views.get(t.tradeId)?.status as string;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      for (const side of [t.a, t.b]) {
        const mine = (logs.get(side.playerId) ?? []).filter((e) => e.data.tradeId === t.tradeId).map((e) => e.type);
        const n = (type: string) => mine.filter((x) => x === type).length;
        expect(n('trade.hold'), `${t.tradeId} ${side.playerId} ${mine}`).toBeLessThanOrEqual(1);
        if (status === 'committed') expect(mine, t.tradeId).toEqual(['trade.hold', 'trade.settle']);
        else {
          expect(n('trade.settle'), t.tradeId).toBe(0);
          expect(n('trade.release'), t.tradeId).toBe(n('trade.hold'));
        }
      }
    }
    expect(statuses.get('pending')).toBeUndefined();

    // Retries of every id: the first outcome, nothing applied.
    for (const t of trades) {
      const view = views.get(t.tradeId) as { status: string; a: { seq: number }; b: { seq: number } };
      const res = await postJson(`${survivor.url}/v1/trades`, t);
      if (view.status === 'committed') expect(res.body, t.tradeId).toEqual({ tradeId: t.tradeId, status: 'committed', a: { playerId: t.a.playerId, seq: view.a.seq }, b: { playerId: t.b.playerId, seq: view.b.seq } });
      // Never recorded (refused with 503 before its record, or lost with the process): a retry runs it now.
      else if (view.status === 'never') expect([200, 422], JSON.stringify(res.body)).toContain(res.status);
      else expect(res.status, JSON.stringify(res.body)).toBe(422);
    }
    for (const id of ids) {
      const touched = trades.some((t) => views.get(t.tradeId)?.status === 'never' && (t.a.playerId === id || t.b.playerId === id));
      if (!touched) expect((await getJson(`${survivor.url}/v1/players/${id}?consistency=strong`)).body.seq, id).toBe(seqs.get(id));
    }

    // The books: balanced, and equal to a rebuild from the logs once the stream is through.
    const cluster = new PgCluster(dbs.urls);
    cleanups.push(() => cluster.close());
    const rebuilt = await new EconomyBooks(cluster, new ShardRouter(SlotMap.even(4)), silentLogger).rebuild();
    let books: Record<string, unknown> = {};
    await waitFor(async () => {
      books = (await fetch(`${survivor.url}/v1/admin/economy`, { headers: adminHeaders }).then((r) => r.json())) as Record<string, unknown>;
      return books.position === rebuilt.position;
    }, 'the books to reach the end of the logs', 60_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: books at ${String(books.position)}, logs at ${rebuilt.position}\n${survivor.output().slice(-3000)}`);
    });
    expect(books).toEqual(rebuilt);
    for (const kind of ['items', 'stats'] as const) for (const line of Object.values(rebuilt[kind])) expect(line.balanced).toBe(true);
    expect(rebuilt.items.apple).toMatchObject({ created: START.apple * PLAYERS, destroyed: 0, held: START.apple * PLAYERS });
  }, 240_000);
});
