// Two server processes on the same databases hammering the same players at once: no lost update, no seq gap,
// no duplicate seq. Every acknowledged append is in the log exactly once, and nothing unacknowledged is.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabases } from '../helpers/backends.js';
import { deleteKeys, REDIS_TEST_URL as REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { getJson, postJson, startServerProcess } from '../helpers/server-process.js';

describe('two processes on the same players', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('lose no update and never reuse or skip a seq', async () => {
    const dbs = await createDatabases(2);
    cleanups.push(dbs.drop);
    const prefix = uniquePrefix();
    cleanups.push(() => deleteKeys(prefix));
    const dirs = [mkdtempSync(join(tmpdir(), 'rs-a-')), mkdtempSync(join(tmpdir(), 'rs-b-'))];
    cleanups.push(async () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    const env = { DATABASE_URLS: dbs.urls.join(','), REDIS_URL, REDIS_KEY_PREFIX: prefix };
    const servers = await Promise.all(dirs.map((d) => startServerProcess({ ...env, REALMSTATE_DATA_DIR: d })));
    for (const s of servers) cleanups.push(async () => void s.child.kill('SIGKILL'));

    const players = ['hammer-0', 'hammer-1', 'hammer-2', 'hammer-3'];
    const acked = new Map<string, number>(players.map((p) => [p, 0]));
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 32 }, async (_, w) => {
        const server = servers[w % 2]!;
        for (let i = 0; i < 40; i++) {
          const id = players[(w + i) % players.length] as string;
          const res = await postJson(`${server.url}/v1/players/${id}/events`, { events: [{ type: 'stat.add', data: { stat: 'n', amount: 1 } }] });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 200) acked.set(id, (acked.get(id) ?? 0) + 1);
          else expect.fail(`${res.status} ${JSON.stringify(res.body)}`);
        }
      }),
    );
    expect(statuses.get(200)).toBeGreaterThan(1000);
    for (const id of players) {
      const n = acked.get(id) as number;
      const state = await getJson(`${servers[0]!.url}/v1/players/${id}?consistency=strong`);
      expect({ id, seq: state.body.seq, n: (state.body.stats as { n: number }).n }).toEqual({ id, seq: n, n });
      const log = await getJson(`${servers[1]!.url}/v1/players/${id}/events?limit=1000`);
      const seqs = (log.body.events as Array<{ seq: number }>).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }
  }, 120_000);
});
