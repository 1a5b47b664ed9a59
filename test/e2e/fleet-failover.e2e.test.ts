// A fleet of three real server processes under load; one is killed with kill -9: the other two take its slots
// (within the lease time, then requests that waited for them go on) and no acknowledged `sync` write is lost.
import { afterAll, describe, expect, it } from 'vitest';
import { hammer, instances, newOutcome, PLAYERS, startFleet, type TestFleet } from '../helpers/fleet.js';
import { getJson } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

describe('an instance killed with kill -9', () => {
  let fleet: TestFleet;
  afterAll(async () => fleet?.cleanup());

  it('has its slots served by the others, and no acknowledged sync write is lost', async () => {
    fleet = await startFleet(3, { REALMSTATE_LEASE_MS: '2000' });
    const urls = fleet.servers.map((s) => s.url);
    await waitFor(async () => (await instances(urls[0] as string)).filter((i) => i.slots > 0).length === 3, 'slots spread over three instances', 30_000);
    const victim = fleet.servers[2]!;
    let alive = [...urls];
    const out = newOutcome();
    const load = hammer(() => alive, 12, 60, true, out);
    await waitFor(() => [...out.acked.values()].reduce((n, a) => n + a.length, 0) > 100, 'load under way', 30_000);
    victim.child.kill('SIGKILL');
    await victim.exited;
    alive = urls.slice(0, 2);
    await load;
    expect(out.failures).toEqual([]);
    // The two survivors hold every slot between them.
    await waitFor(async () => {
      const list = await instances(urls[0] as string);
      return list.length === 2 && list.reduce((n, i) => n + i.slots, 0) === 4096;
    }, 'survivors holding every slot', 30_000);
    for (const id of PLAYERS) {
      const log = await getJson(`${urls[0] as string}/v1/players/${id}/events?limit=1000`);
      const seqs = new Set((log.body.events as Array<{ seq: number }>).map((e) => e.seq));
      const lostSync = (out.acked.get(id) as Array<{ seq: number; durability: string }>).filter((a) => a.durability === 'sync' && !seqs.has(a.seq));
      expect({ id, lostSync }).toEqual({ id, lostSync: [] });
      // Nothing re-numbered or skipped: the log is 1..n.
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: seqs.size }, (_, k) => k + 1));
    }
  }, 120_000);
});
