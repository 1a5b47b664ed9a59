// A fleet on this machine: sync appends per second with 1, 2 and 3 instances behind round-robin clients (which
// send about (n-1)/n of the requests to an instance that forwards them to the player's owner), the same three
// instances with clients that call each player's owner directly (the forwarding cost as a ratio), and the p99 of a
// forwarded request against a local one in the same run.
import http from 'node:http';
import { instanceIds, instances, startFleet } from '../../test/helpers/fleet.js';
import { headers } from '../../test/helpers/server-process.js';
import { waitFor } from '../../test/helpers/wait.js';
import { percentile, runLoad, type BenchRow, type LoadResult, type Scenario } from '../harness.js';

const CONCURRENCY = 32;

interface Answer {
  status: number;
  instance: string;
}

/** One keep-alive pool per instance, answers with the instance that served them. */
class FleetClient {
  // Idle sockets close before the servers' 10 s keep-alive timeout, so none is reused as the server closes it.
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY, timeout: 4000 });

  send(base: string, path: string, body: unknown): Promise<Answer> {
    const url = new URL(path, base);
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent: this.agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(payload)) } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, instance: String(res.headers['x-realmstate-instance'] ?? '') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

const appendBody = { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }] };

export const fleetScenario: Scenario = {
  name: 'fleet',
  title: 'A fleet of 1, 2 and 3 instances behind round-robin clients: throughput, forwarding cost, forwarded vs local p99',
  async run(ctx) {
    const durationMs = ctx.quick ? 2000 : 10_000;
    const players = Array.from({ length: ctx.quick ? 300 : 3000 }, (_, i) => `fleet-bench-${i}`);
    ctx.progress('starting one instance');
    const fleet = await startFleet(1, { REALMSTATE_LEASE_MS: '4000' });
    const client = new FleetClient();
    try {
      const pick = (w: number, i: number) => players[(w * 7919 + i * 104729) % players.length] as string;
      // Round robin over the instances; the latency of each request is filed as forwarded or local.
      const roundRobin = async (urls: string[]): Promise<{ load: LoadResult; forwarded: number[]; local: number[] }> => {
        const ids = await instanceIds(urls);
        const forwarded: number[] = [];
        const local: number[] = [];
        let next = 0;
        const load = await runLoad(CONCURRENCY, durationMs, async (w, i) => {
          const url = urls[next++ % urls.length] as string;
          const started = performance.now();
          const res = await client.send(url, `/v1/players/${pick(w, i)}/events`, appendBody);
          if (res.status !== 200) throw new Error(`append answered ${res.status}`);
          (res.instance === ids.get(url) ? local : forwarded).push(performance.now() - started);
        });
        if (load.errors) throw new Error(`append errors: ${load.errors}`, { cause: load.firstError });
        return { load, forwarded: forwarded.sort((a, b) => a - b), local: local.sort((a, b) => a - b) };
      };
      const spread = (n: number) =>
        waitFor(async () => {
          const list = await instances(fleet.servers[0]!.url);
          return list.length === n && list.every((i) => i.slots > 0) && list.reduce((s, i) => s + i.slots, 0) === 4096;
        }, `slots spread over ${n} instances`, 60_000);

      // Every player exists before the timed runs.
      await runLoad(CONCURRENCY, 3_600_000, async (_w, _i, n) => client.send(fleet.servers[0]!.url, `/v1/players/${players[n]}/events`, appendBody), { maxOps: players.length });
      ctx.progress('1 instance');
      const one = await roundRobin(fleet.servers.map((s) => s.url));
      ctx.progress('2 instances');
      await fleet.add();
      await spread(2);
      const two = await roundRobin(fleet.servers.map((s) => s.url));
      ctx.progress('3 instances');
      await fleet.add();
      await spread(3);
      const urls = fleet.servers.map((s) => s.url);
      const three = await roundRobin(urls);

      ctx.progress('3 instances, clients calling each player’s owner');
      const ids = await instanceIds(urls);
      const urlOf = new Map([...ids].map(([url, id]) => [id, url]));
      const owner = new Map<string, string>();
      for (const id of players) owner.set(id, urlOf.get((await client.send(urls[0] as string, `/v1/players/${id}/events`, appendBody)).instance) as string);
      const direct = await runLoad(CONCURRENCY, durationMs, async (w, i) => {
        const id = pick(w, i);
        const res = await client.send(owner.get(id) as string, `/v1/players/${id}/events`, appendBody);
        if (res.status !== 200) throw new Error(`append answered ${res.status}`);
      });
      if (direct.errors) throw new Error(`append errors: ${direct.errors}`, { cause: direct.firstError });

      const note = 'all instances, their PostgreSQL and the load generator share the 2 cores of this machine: more instances add no CPU, so the figures show what the fleet costs, not what it scales to';
      const rows: BenchRow[] = [
        { scenario: 'fleet', metric: 'sync appends/s, 2 instances round-robin', unit: 'req/s', ours: two.load.perSecond, baseline: one.load.perSecond, baselineName: '1 instance', better: 'higher', note },
        { scenario: 'fleet', metric: 'sync appends/s, 3 instances round-robin', unit: 'req/s', ours: three.load.perSecond, baseline: one.load.perSecond, baselineName: '1 instance', better: 'higher' },
        {
          scenario: 'fleet', metric: 'forwarding cost: round-robin vs owner-aware clients, 3 instances', unit: 'req/s', ours: three.load.perSecond, baseline: direct.perSecond, baselineName: 'clients calling the owner', better: 'higher',
          note: `${Math.round((100 * three.forwarded.length) / Math.max(1, three.forwarded.length + three.local.length))}% of the round-robin requests were forwarded`,
        },
        { scenario: 'fleet', metric: 'p99 of a forwarded append vs a local one, 3 instances', unit: 'ms', ours: percentile(three.forwarded, 99), baseline: percentile(three.local, 99), baselineName: 'local', better: 'lower' },
      ];
      return rows;
    } finally {
      client.close();
      await fleet.cleanup();
    }
  },
};
