// A fleet of real server processes behind a round-robin client, hammering the same players with `batched` and
// `sync` appends: every request is served by the player's owner wherever it lands, so a `batched` seq is final,
// nothing is dropped, and every read is at least as new as the client's last acknowledged write. With three, the
// third joins under load: the slots it takes move while appends keep arriving, and still nothing is re-numbered.
import { afterAll, describe, expect, it } from 'vitest';
import { batchedDropped, finalSeq, hammer, instanceIds, instances, newOutcome, PLAYERS, startFleet, type TestFleet } from '../helpers/fleet.js';
import { headers } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

describe.each([
  { count: 2, join: false },
  { count: 3, join: true },
])('a fleet of $count instances behind a round-robin client', ({ count, join }) => {
  let fleet: TestFleet;
  afterAll(async () => fleet?.cleanup());

  it('loses nothing, drops nothing, re-numbers nothing, and reads its writes', async () => {
    // Leases long enough that a busy machine's pauses do not move slots during the load (the failover test moves them).
    fleet = await startFleet(join ? count - 1 : count, { REALMSTATE_LEASE_MS: '6000', REALMSTATE_BATCHED_FLUSH_MS: '50' });
    const urls = fleet.servers.map((s) => s.url);
    // The slots spread evenly (within 20% of an even share) over every instance once they all saw each other.
    const spreadOver = (n: number) =>
      waitFor(async () => {
        const list = await instances(urls[0] as string);
        return list.length === n && list.every((i) => i.slots > (0.8 * 4096) / n) && list.reduce((k, i) => k + i.slots, 0) === 4096;
      }, `slots spread over ${n} instances`, 60_000);
    await spreadOver(urls.length);
    const out = newOutcome();
    const servedBy = new Map<string, Set<string>>();
    const ids = await instanceIds(urls);
    if (join) {
      // Appends keep arriving while the newcomer starts and the others hand it its slots.
      let joined = false;
      const background = (async () => {
        while (!joined) await hammer(() => urls, 12, 5, false, out, undefined, ids);
      })();
      const third = await fleet.add();
      ids.set(third.url, (await instanceIds([third.url])).get(third.url) as string);
      urls.push(third.url);
      await spreadOver(count);
      joined = true;
      await background;
    }
    await hammer(() => urls, 12, 30, false, out, servedBy, ids);
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
    // Each player's owner answered for it, whichever instance the client reached (round robin: often another one).
    if (!join) for (const id of PLAYERS) expect({ id, servedBy: servedBy.get(id)?.size }).toEqual({ id, servedBy: 1 });
    expect(out.forwarded).toBeGreaterThan(0);
    if (!join) {
      // A batch read asks each player's owner: it sees a `batched` append acknowledged a moment ago (not committed
      // yet), whichever instance the batch and the append reached.
      const stale: string[] = [];
      for (let i = 0; i < 20; i++) {
        const id = PLAYERS[i % PLAYERS.length] as string;
        const res = await fetch(`${urls[i % urls.length] as string}/v1/players/${id}/events`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ durability: 'batched', events: [{ type: 'stat.add', data: { stat: 'n', amount: 1 } }] }),
        });
        const { seq } = (await res.json()) as { seq: number };
        const batch = await fetch(`${urls[(i + 1) % urls.length] as string}/v1/players:batchGet`, { method: 'POST', headers, body: JSON.stringify({ ids: PLAYERS }) });
        expect(batch.status).toBe(200);
        const read = ((await batch.json()) as { players: Array<{ playerId: string; seq: number }> }).players.find((p) => p.playerId === id);
        if ((read?.seq ?? 0) < seq) stale.push(`${id}: batch read ${read?.seq} after ack ${seq}`);
      }
      expect(stale).toEqual([]);
    }
  }, 180_000);
});
