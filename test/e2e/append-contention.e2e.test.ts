// Two server processes on shared PostgreSQL and Redis, many clients on a few hot players, appends without expectedSeq:
// another writer getting there first is never the client's problem (no 409), nothing fails inside the group commit,
// and every acknowledged append is in the log exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabases } from '../helpers/backends.js';
import { deleteKeys, REDIS_TEST_URL as REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { getJson, postJson, startServerProcess } from '../helpers/server-process.js';

describe('appends without expectedSeq under contention between processes', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('never answer 409 and never fail the group commit', async () => {
    const dbs = await createDatabases(1);
    cleanups.push(dbs.drop);
    const prefix = uniquePrefix();
    cleanups.push(() => deleteKeys(prefix));
    const dirs = [mkdtempSync(join(tmpdir(), 'rs-a-')), mkdtempSync(join(tmpdir(), 'rs-b-'))];
    cleanups.push(async () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    // Small group-commit delays make the two processes collide as often as possible.
    const env = { DATABASE_URLS: dbs.urls.join(','), REDIS_URL, REDIS_KEY_PREFIX: prefix, REALMSTATE_GROUP_COMMIT_MAX_DELAY_MS: '1', REALMSTATE_BATCHED_FLUSH_MS: '5' };
    const servers = await Promise.all(dirs.map((d) => startServerProcess({ ...env, REALMSTATE_DATA_DIR: d })));
    for (const s of servers) cleanups.push(async () => void s.child.kill('SIGKILL'));

    const players = ['hot-0', 'hot-1', 'hot-2'];
    const acked = new Map<string, number>(players.map((p) => [p, 0]));
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: 24 }, async (_, w) => {
        const server = servers[w % 2]!;
        for (let i = 0; i < 40; i++) {
          const id = players[(w + i) % players.length] as string;
          // One client in four sends a sync append right behind batched ones of its process: the mix that used to
          // leave two queued items of one player at the same seq.
          const durability = i % 4 === 0 ? 'batched' : 'sync';
          const res = await postJson(`${server.url}/v1/players/${id}/events`, { durability, events: [{ type: 'stat.add', data: { stat: 'n', amount: 1 } }] });
          if (res.status === 200) acked.set(id, (acked.get(id) ?? 0) + 1);
          else failures.push(`${res.status} ${JSON.stringify(res.body)}`);
        }
      }),
    );
    const logged = servers.flatMap((s) => s.output().split('\n').filter((l) => /group commit failed|could not be re-applied|same seq/.test(l)));
    expect({ failures, logged }).toEqual({ failures: [], logged: [] });
    // Let the batched appends commit, then check the log.
    await Promise.all(servers.map((s) => fetch(`${s.url}/metrics`)));
    for (const id of players) {
      const n = acked.get(id) as number;
      let state = await getJson(`${servers[0]!.url}/v1/players/${id}?consistency=strong`);
      for (let t = 0; t < 100 && state.body.seq !== n; t++) {
        await new Promise((r) => setTimeout(r, 100));
        state = await getJson(`${servers[0]!.url}/v1/players/${id}?consistency=strong`);
      }
      expect({ id, seq: state.body.seq, n: (state.body.stats as { n: number }).n }).toEqual({ id, seq: n, n });
      const log = await getJson(`${servers[1]!.url}/v1/players/${id}/events?limit=1000`);
      const seqs = (log.body.events as Array<{ seq: number }>).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }
  }, 120_000);
});
