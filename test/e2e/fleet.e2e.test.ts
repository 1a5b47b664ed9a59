// A fleet of real server processes behind a round-robin client, hammering the same players with `batched` and
// `sync` appends: every request is served by the player's owner wherever it lands, so a `batched` seq is final,
// nothing is dropped, and every read is at least as new as the client's last acknowledged write. Then one
// instance is killed (kill -9): the others take its slots and no acknowledged `sync` write is lost.
import { afterAll, describe, expect, it } from 'vitest';
import { batchedDropped, instances, startFleet, type TestFleet } from '../helpers/fleet.js';
import { getJson, headers } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

const PLAYERS = ['fleet-a', 'fleet-b', 'fleet-c', 'fleet-d', 'fleet-e'];

interface Outcome {
  /** Per player: every acknowledged seq (with its durability). */
  acked: Map<string, Array<{ seq: number; durability: string }>>;
  failures: string[];
  staleReads: string[];
}

async function append(url: string, id: string, durability: string): Promise<{ status: number; body: Record<string, unknown>; instance: string | null }> {
  const res = await fetch(`${url}/v1/players/${id}/events`, { method: 'POST', headers, body: JSON.stringify({ durability, events: [{ type: 'stat.add', data: { stat: 'n', amount: 1 } }] }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, instance: res.headers.get('x-realmstate-instance') };
}

/** Workers send each request to the next instance in turn, as a round-robin load balancer does. */
async function hammer(urls: () => string[], workers: number, perWorker: number, retry503: boolean, out: Outcome, servedBy?: Set<string>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const lastAcked = new Map<string, number>();
      for (let i = 0; i < perWorker; i++) {
        const id = PLAYERS[(w + i) % PLAYERS.length] as string;
        const durability = (w + i) % 2 === 0 ? 'batched' : 'sync';
        for (;;) {
          const list = urls();
          const url = list[next++ % list.length] as string;
          let res;
          try {
            res = await append(url, id, durability);
          } catch (err) {
            if (retry503) continue; // the instance just died under us: the request never got an answer
            throw err;
          }
          if (res.instance) servedBy?.add(res.instance);
          if (res.status === 503 && retry503) continue;
          if (res.status !== 200) out.failures.push(`${res.status} ${JSON.stringify(res.body)}`);
          else {
            const seq = res.body.seq as number;
            (out.acked.get(id) as Array<{ seq: number; durability: string }>).push({ seq, durability });
            lastAcked.set(id, seq);
          }
          break;
        }
        if (i % 5 === 4) {
          const list = urls();
          const read = await getJson(`${list[next++ % list.length] as string}/v1/players/${id}`).catch(() => undefined);
          if (read && read.status === 200 && (read.body.seq as number) < (lastAcked.get(id) ?? 0)) out.staleReads.push(`${id}: read ${String(read.body.seq)} after ack ${lastAcked.get(id)}`);
        }
      }
    }),
  );
}

const newOutcome = (): Outcome => ({ acked: new Map(PLAYERS.map((p) => [p, []])), failures: [], staleReads: [] });

async function finalSeq(url: string, id: string): Promise<number> {
  const read = await getJson(`${url}/v1/players/${id}?consistency=strong`);
  return read.body.seq as number;
}

describe.each([2, 3])('a fleet of %i instances behind a round-robin client', (count) => {
  let fleet: TestFleet;
  afterAll(async () => fleet?.cleanup());

  it('loses nothing, drops nothing, re-numbers nothing, and reads its writes', async () => {
    fleet = await startFleet(count, { REALMSTATE_LEASE_MS: '2000', REALMSTATE_BATCHED_FLUSH_MS: '50' });
    const urls = fleet.servers.map((s) => s.url);
    // The slots spread over every instance once they all saw each other.
    await waitFor(async () => {
      const list = await instances(urls[0] as string);
      return list.length === count && list.every((i) => i.slots > 0) && list.reduce((n, i) => n + i.slots, 0) === 4096;
    }, 'slots spread over the fleet', 30_000);
    const spread = await instances(urls[0] as string);
    for (const i of spread) expect(i.slots).toBeGreaterThan(4096 / count / 2);

    const out = newOutcome();
    const servedBy = new Set<string>();
    await hammer(() => urls, 24, 40, false, out, servedBy);
    expect({ failures: out.failures, staleReads: out.staleReads }).toEqual({ failures: [], staleReads: [] });
    for (const id of PLAYERS) {
      const acked = out.acked.get(id) as Array<{ seq: number }>;
      // Every acknowledged seq, batched ones included, is a distinct seq of the log: none was re-numbered.
      const seqs = acked.map((a) => a.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: acked.length }, (_, k) => k + 1));
      await waitFor(async () => (await finalSeq(urls[0] as string, id)) === acked.length, `${id} at seq ${acked.length}`, 20_000);
    }
    for (const url of urls) expect(await batchedDropped(url)).toBe(0);
    expect(fleet.servers.map((s) => s.output()).join('\n')).not.toMatch(/group commit failed|could not be re-applied|batched append failed/);
    // The players' owners answered, whichever instance the client reached.
    expect(servedBy.size).toBeGreaterThan(0);
  }, 120_000);
});

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
