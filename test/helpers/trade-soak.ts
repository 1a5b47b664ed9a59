// The random-trade soak shared by the crash tests of trades: players, trades, a driver that injects a fault a third of
// the way in, and the checks (settled or rolled back, totals conserved, each id at most once, retries, the books).
import { expect } from 'vitest';
import { addEscrowMoves, applyToBook, emptyBook, totalsOf, type EscrowSide, type PlayerBook } from '../../src/economy/ledger.js';
import { seededRandom } from './seeded-random.js';
import { adminHeaders, getJson, postJson, type ServerProcess } from './server-process.js';
import { waitFor } from './wait.js';

export const PLAYERS = 50;
export const START = { apple: 20, pear: 20, gold: 1000 };
export const ids = Array.from({ length: PLAYERS }, (_, i) => `trader-${i}`);

export type Goods = { items?: Record<string, number>; stats?: Record<string, number> };
export interface Trade {
  tradeId: string;
  a: { playerId: string; gives: Goods };
  b: { playerId: string; gives: Goods };
}
interface LoggedEvent {
  seq: number;
  type: string;
  data: { tradeId?: string };
}

export function randomTrades(count: number, seed: number): Trade[] {
  const random = seededRandom(seed);
  const pick = () => ids[Math.floor(random() * ids.length)] as string;
  const goods = (): Goods => (random() < 0.6 ? { items: { [random() < 0.5 ? 'apple' : 'pear']: 1 + Math.floor(random() * 8) } } : { stats: { gold: 1 + Math.floor(random() * 400) } });
  return Array.from({ length: count }, (_, i) => {
    const a = pick();
    let b = pick();
    while (b === a) b = pick();
    return { tradeId: `trade-${i}`, a: { playerId: a, gives: goods() }, b: { playerId: b, gives: random() < 0.25 ? {} : goods() } };
  });
}

export async function seedPlayers(url: string): Promise<void> {
  for (const id of ids) {
    const res = await postJson(`${url}/v1/players/${id}/events`, {
      events: [
        { type: 'item.grant', data: { item: 'apple', qty: START.apple } },
        { type: 'item.grant', data: { item: 'pear', qty: START.pear } },
        { type: 'stat.add', data: { stat: 'gold', amount: START.gold } },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
}

/** Sends every trade once from 8 workers; `fault` runs once a third of them are sent. `server(w)` picks where to send (it may wait for a restart). */
export async function drive(trades: readonly Trade[], server: (w: number) => ServerProcess | Promise<ServerProcess>, mayDie: (s: ServerProcess) => boolean, fault: () => Promise<void>): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const count = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
  let sent = 0;
  let faults: Promise<void> | undefined;
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = w; i < trades.length; i += 8) {
        if (++sent === Math.floor(trades.length / 3)) faults ??= fault();
        const s = await server(w);
        try {
          const res = await postJson(`${s.url}/v1/trades`, trades[i]);
          count(String(res.status));
          expect([200, 422, 503], JSON.stringify(res.body)).toContain(res.status);
        } catch (err) {
          // The process died with the request in hand: its outcome is read afterwards.
          count('no answer');
          if (!mayDie(s)) throw err;
        }
      }
    }),
  );
  await faults;
  return seen;
}

async function readLog(url: string, id: string): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  for (let after = 0; ; ) {
    const page = (await getJson(`${url}/v1/players/${id}/events?after=${after}&limit=1000`)).body as { events: LoggedEvent[]; nextAfter: number | null };
    events.push(...page.events);
    if (page.nextAfter === null) return events;
    after = page.nextAfter;
  }
}

/** Everything the test promises, checked through `url` once the faults are over. Returns the books it read. */
export async function verify(url: string, trades: readonly Trade[]): Promise<Record<string, unknown>> {
  // Recovery finishes every trade within seconds: none pending, every one settled.
  const views = new Map<string, Record<string, unknown>>();
  try {
    await waitFor(async () => {
      for (const t of trades) {
        if (views.get(t.tradeId)?.finishedAt) continue;
        const res = await getJson(`${url}/v1/trades/${t.tradeId}`);
        if (res.status === 404) views.set(t.tradeId, { status: 'never', finishedAt: 'n/a' });
        else if (res.status === 200) views.set(t.tradeId, res.body);
      }
      return trades.every((t) => views.get(t.tradeId)?.finishedAt);
    }, 'every trade to finish', 60_000);
  } catch (err) {
    // Which trades are stuck, and where, says more than the timeout.
    const stuck = trades.filter((t) => !views.get(t.tradeId)?.finishedAt).map((t) => ({ tradeId: t.tradeId, view: views.get(t.tradeId) ?? 'unread' }));
    throw new Error(`${(err as Error).message}: ${stuck.length} unfinished, e.g. ${JSON.stringify(stuck.slice(0, 3))}`);
  }

  // Totals conserved, nothing negative, nothing left held.
  const logs = new Map<string, LoggedEvent[]>();
  const totals = { apple: 0, pear: 0, gold: 0 };
  const seqs = new Map<string, number>();
  for (const id of ids) {
    const s = (await getJson(`${url}/v1/players/${id}?consistency=strong`)).body as { seq: number; items: Record<string, number>; stats: Record<string, number>; trades?: Record<string, string> };
    seqs.set(id, s.seq);
    totals.apple += s.items.apple ?? 0;
    totals.pear += s.items.pear ?? 0;
    totals.gold += s.stats.gold ?? 0;
    for (const v of Object.values(s.items)) expect(v).toBeGreaterThan(0);
    for (const v of Object.values(s.stats)) expect(v).toBeGreaterThanOrEqual(0);
    expect(Object.values(s.trades ?? {}).filter((m) => m === 'held'), id).toEqual([]);
    logs.set(id, await readLog(url, id));
  }
  expect(totals).toEqual({ apple: START.apple * PLAYERS, pear: START.pear * PLAYERS, gold: START.gold * PLAYERS });

  // Each trade id touched each log at most once: committed → hold and settle on both sides; otherwise no settle and a
  // release for every hold.
  for (const t of trades) {
    const status = views.get(t.tradeId)?.status as string;
    expect(status).not.toBe('pending');
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

  // Retries of every id: the first outcome, nothing applied.
  for (const t of trades) {
    const view = views.get(t.tradeId) as { status: string; a: { seq: number }; b: { seq: number } };
    const res = await postJson(`${url}/v1/trades`, t);
    if (view.status === 'committed') expect(res.body, t.tradeId).toEqual({ tradeId: t.tradeId, status: 'committed', a: { playerId: t.a.playerId, seq: view.a.seq }, b: { playerId: t.b.playerId, seq: view.b.seq } });
    // Never recorded (refused with 503 before its record, or lost with the process): a retry runs it now.
    else if (view.status === 'never') expect([200, 422], JSON.stringify(res.body)).toContain(res.status);
    else expect(res.status, JSON.stringify(res.body)).toBe(422);
  }
  for (const id of ids) {
    const touched = trades.some((t) => views.get(t.tradeId)?.status === 'never' && (t.a.playerId === id || t.b.playerId === id));
    if (!touched) expect((await getJson(`${url}/v1/players/${id}?consistency=strong`)).body.seq, id).toBe(seqs.get(id));
  }
  // The books balance and equal a fold of the logs (retries included), once the stream is through.
  const books: PlayerBook[] = [];
  const escrow = new Map<string, EscrowSide>();
  let events = 0;
  for (const id of ids) {
    const log = await readLog(url, id);
    const book = emptyBook();
    books.push(book);
    for (const e of log) addEscrowMoves(escrow, applyToBook(book, id, e.type, e.data));
    events += log.length;
  }
  const folded = { position: String(events), ...totalsOf(books, escrow.values()) };
  for (const kind of ['items', 'stats'] as const) for (const line of Object.values(folded[kind])) expect(line.balanced).toBe(true);
  expect(folded.items.apple).toMatchObject({ created: START.apple * PLAYERS, destroyed: 0, held: START.apple * PLAYERS });
  let report: Record<string, unknown> = {};
  await waitFor(async () => {
    report = (await fetch(`${url}/v1/admin/economy`, { headers: adminHeaders }).then((r) => r.json())) as Record<string, unknown>;
    return report.position === folded.position;
  }, 'the books to reach the end of the logs', 60_000).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}: books at ${String(report.position)}, logs at ${folded.position}`);
  });
  expect(report).toEqual(folded);

  return report;
}

