// Nothing acknowledged is lost: a server killed with SIGKILL under concurrent `sync` appends restarts with every
// acknowledged event at its seq, and the log of each player has no gap (no unacknowledged event out of order).
// SIGTERM with thousands of `batched` appends pending exits 0 and loses none of them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabases } from '../helpers/backends.js';
import { getJson, postJson, startServerProcess } from '../helpers/server-process.js';
import { fetchChecked } from '../helpers/contract.js';

type Backend = 'postgres' | 'pglite';

interface Ack {
  seq: number;
  events: Array<{ type: string; data: Record<string, unknown> }>;
}

async function backendEnv(kind: Backend, cleanups: Array<() => Promise<void>>): Promise<Record<string, string>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'realmstate-crash-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  if (kind === 'pglite') return { REALMSTATE_DATA_DIR: dataDir };
  const dbs = await createDatabases(4);
  cleanups.push(dbs.drop);
  return { REALMSTATE_DATA_DIR: dataDir, DATABASE_URLS: dbs.urls.join(',') };
}

interface LoggedEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

async function readLog(url: string, playerId: string): Promise<LoggedEvent[]> {
  const all: LoggedEvent[] = [];
  let after = 0;
  for (;;) {
    const page = await getJson(`${url}/v1/players/${playerId}/events?after=${after}&limit=1000`);
    if (page.status === 404) return all;
    expect(page.status).toBe(200);
    const events = page.body.events as typeof all;
    all.push(...events);
    if (page.body.nextAfter === null) return all;
    after = page.body.nextAfter as number;
  }
}

describe.each(['postgres', 'pglite'] as const)('crash safety on %s', (kind) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('keeps every acknowledged sync event through kill -9', async () => {
    const env = await backendEnv(kind, cleanups);
    const server = await startServerProcess(env);
    const players = Array.from({ length: 120 }, (_, i) => `crash-${i}`);
    const acks = new Map<string, Ack[]>();
    let stop = false;
    let requests = 0;
    const worker = async (w: number) => {
      let n = 0;
      while (!stop) {
        const playerId = players[(w * 7919 + n++ * 104729) % players.length] as string;
        const events = Array.from({ length: 1 + (n % 3) }, (_, i) => ({ type: 'stat.add', data: { stat: `s${i}`, amount: w + 1 } }));
        try {
          requests++;
          const res = await postJson(`${server.url}/v1/players/${playerId}/events`, { events });
          if (res.status === 200) {
            const list = acks.get(playerId) ?? [];
            list.push({ seq: res.body.seq as number, events });
            acks.set(playerId, list);
          }
        } catch {
          return; // the server is gone
        }
      }
    };
    const workers = Array.from({ length: 48 }, (_, w) => worker(w));
    // Kill while requests are in flight, once a good number were acknowledged.
    while ([...acks.values()].reduce((n, l) => n + l.length, 0) < 1500) await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGKILL');
    stop = true;
    expect(await server.exited).toBe('SIGKILL');
    await Promise.all(workers);
    const acknowledged = [...acks.values()].reduce((n, l) => n + l.length, 0);
    expect(requests).toBeGreaterThan(acknowledged);

    const again = await startServerProcess(env);
    try {
      for (const playerId of players) {
        const log = await readLog(again.url, playerId);
        log.forEach((e, i) => expect(e.seq, `${playerId} has a gap`).toBe(i + 1));
        for (const ack of acks.get(playerId) ?? []) {
          const first = ack.seq - ack.events.length + 1;
          ack.events.forEach((ev, i) => {
            const stored = log[first + i - 1];
            expect(stored, `${playerId} lost acknowledged seq ${first + i}`).toBeDefined();
            expect({ type: stored?.type, data: stored?.data }).toEqual(ev);
          });
        }
        if (log.length > 0) {
          const state = await getJson(`${again.url}/v1/players/${playerId}?consistency=strong`);
          expect(state.body.seq).toBe(log.length);
        }
      }
    } finally {
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    }
  });

  it('flushes thousands of pending batched appends on SIGTERM and exits 0', async () => {
    const env = await backendEnv(kind, cleanups);
    // Long windows: without the shutdown flush, these appends would still be only in memory.
    const slow = { REALMSTATE_BATCHED_FLUSH_MS: '600000', REALMSTATE_WRITE_BEHIND_INTERVAL_MS: '600000' };
    const server = await startServerProcess({ ...env, ...slow });
    const players = Array.from({ length: 500 }, (_, i) => `term-${i}`);
    const expected = new Map<string, number>();
    const total = 4000;
    for (let i = 0; i < total; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, j) => {
          const playerId = players[(i + j) % players.length] as string;
          const res = await postJson(`${server.url}/v1/players/${playerId}/events`, { events: [{ type: 'stat.add', data: { stat: 'gold', amount: 1 } }], durability: 'batched' });
          expect(res.status).toBe(200);
          expected.set(playerId, (expected.get(playerId) ?? 0) + 1);
        }),
      );
    }
    const metrics = await (await fetchChecked(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/realmstate_append_queue_events\{shard="\d"\} [1-9]/);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const again = await startServerProcess({ ...env, ...slow });
    try {
      const ids = [...expected.keys()];
      const res = await postJson(`${again.url}/v1/players:batchGet`, { ids });
      expect(res.status).toBe(200);
      expect(res.body.missing).toEqual([]);
      const got = new Map((res.body.players as Array<{ playerId: string; seq: number; stats: { gold: number } }>).map((p) => [p.playerId, p]));
      for (const [id, n] of expected) expect({ id, seq: got.get(id)?.seq, gold: got.get(id)?.stats.gold }).toEqual({ id, seq: n, gold: n });
      // The write-behind rows were flushed too: the restart loaded players from their rows, not by replay.
      const m = await (await fetchChecked(`${again.url}/metrics`)).text();
      expect(m).not.toMatch(/realmstate_player_loads_total\{source="replay"\} [1-9]/);
      expect(Number(/realmstate_player_loads_total\{source="row"\} (\d+)/.exec(m)?.[1])).toBe(ids.length);
    } finally {
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    }
  });
});
