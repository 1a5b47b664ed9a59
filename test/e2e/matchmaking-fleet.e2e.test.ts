// Two server processes on one PostgreSQL and one Redis, tickets streaming in through both, and a kill -9 of the
// instance running the matcher halfway: the other takes the lease, no ticket ends in two matches, no party is
// split, no open ticket is lost, and every match keeps its queue's rules.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matchmakingConfigSchema, queueRules, ruleViolations, type QueueConfig, type Ticket } from '../../src/matchmaking/index.js';
import { createDatabases } from '../helpers/backends.js';
import { deleteKeys, REDIS_TEST_URL as REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { connect } from 'nats';
import { deleteStream, NATS_URL, uniqueStream } from '../helpers/nats.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { getJson, postJson, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

const QUEUE = {
  name: 'arena-2v2', teams: 2, teamSize: 2, partyMax: 2, regions: ['eu', 'na'], maxWaitSeconds: 60,
  skill: [{ afterSeconds: 0, maxSpread: 3 }, { afterSeconds: 2, maxSpread: 50 }],
  latency: [{ afterSeconds: 0, maxMs: 60 }, { afterSeconds: 2, maxMs: 150 }],
};
const CONFIG = `version: 1
limits:
  rateLimits: { perKeyPerSecond: 1000000000, perPlayerPerSecond: 1000000000, burst: 0 }
matchmaking:
  queues:
    - ${JSON.stringify(QUEUE)}
`;

interface Created {
  ticketId: string;
  players: Array<{ playerId: string; latencies: Record<string, number> }>;
  createdAt: string;
}

describe('matchmaking on two instances', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('survives a kill -9 of the matcher under a stream of tickets', async () => {
    const dbs = await createDatabases(1);
    cleanups.push(dbs.drop);
    const prefix = uniquePrefix();
    cleanups.push(() => deleteKeys(prefix));
    const dir = mkdtempSync(join(tmpdir(), 'rs-mm-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'game.yaml');
    writeFileSync(config, CONFIG);
    const { stream, subjectPrefix } = uniqueStream();
    cleanups.push(() => deleteStream(stream));
    const env = { LOG_LEVEL: 'debug',
      DATABASE_URLS: dbs.urls[0] as string, REDIS_URL, REDIS_KEY_PREFIX: prefix, REALMSTATE_CONFIG: config,
      NATS_URL, REALMSTATE_NATS_STREAM: stream, REALMSTATE_NATS_SUBJECT_PREFIX: subjectPrefix,
    };
    const servers: ServerProcess[] = [];
    for (const name of ['a', 'b']) {
      const s = await startServerProcess({ ...env, REALMSTATE_DATA_DIR: join(dir, name) });
      servers.push(s);
      cleanups.push(async () => void s.child.kill('SIGKILL'));
    }
    const matcherOf = () => servers.findIndex((s) => s.output().includes('runs the matcher of the queue'));
    await waitFor(() => matcherOf() >= 0, 'a matcher', 20_000);
    const victim = matcherOf();
    const survivor = servers[1 - victim] as ServerProcess;

    const rnd = seededRandom(16);
    const created: Created[] = [];
    let killed = false;
    let refused = 0;
    for (let i = 0; i < 160; i++) {
      if (i === 80) {
        servers[victim]?.child.kill('SIGKILL');
        await servers[victim]?.exited;
        killed = true;
      }
      const size = rnd() < 0.25 ? 2 : 1;
      const eu = rnd() < 0.7;
      const players = Array.from({ length: size }, (_, j) => ({ playerId: `fleet-${i}-${j}`, latencies: eu ? { eu: 20 + Math.round(rnd() * 80) } : { na: 20 + Math.round(rnd() * 80), eu: 140 } }));
      const target = killed ? survivor : (servers[i % 2] as ServerProcess);
      const res = await postJson(`${target.url}/v1/matchmaking/tickets`, { queue: QUEUE.name, players });
      if (res.status !== 201) {
        refused++;
        continue;
      }
      created.push(res.body as unknown as Created);
      if (i % 8 === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(refused).toBe(0);
    await waitFor(() => survivor.output().includes('runs the matcher of the queue'), 'the survivor to take the matcher', 20_000);

    // Every acknowledged ticket is still there; wait until the leftovers cannot make a full match any more.
    const finals = new Map<string, { status: string; match: { matchId: string; teams: string[][]; region: string; createdAt: string } | null }>();
    await waitFor(async () => {
      let searchingPlayers = 0;
      for (const c of created) {
        const res = await getJson(`${survivor.url}/v1/matchmaking/tickets/${c.ticketId}`);
        expect(res.status).toBe(200);
        const body = res.body as { status: string; match: never };
        finals.set(c.ticketId, body);
        if (body.status === 'searching') searchingPlayers += c.players.length;
      }
      return searchingPlayers < 4;
    }, 'tickets to be matched', 30_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${survivor.output().slice(-3000)}`);
    });

    const matches = new Map<string, { teams: string[][]; region: string; createdAt: string; tickets: Created[] }>();
    for (const c of created) {
      const f = finals.get(c.ticketId);
      expect(['matched', 'searching']).toContain(f?.status);
      if (f?.status !== 'matched' || !f.match) continue;
      const m = matches.get(f.match.matchId) ?? { ...f.match, tickets: [] };
      m.tickets.push(c);
      matches.set(f.match.matchId, m);
    }
    expect(matches.size).toBeGreaterThan(20);
    const rules = queueRules(matchmakingConfigSchema.parse({ queues: [QUEUE] }).queues[0] as QueueConfig);
    const inMatch = new Map<string, string>();
    for (const [matchId, m] of matches) {
      for (const p of m.teams.flat()) {
        expect(inMatch.get(p), `player ${p} in two matches`).toBeUndefined();
        inMatch.set(p, matchId);
      }
      // New players all start at the same rating: the rules checked here are the teams, parties and latencies.
      const tickets: Ticket[] = m.tickets.map((c) => ({ ...c, queue: QUEUE.name, createdAtMs: Date.parse(c.createdAt), ratings: c.players.map(() => ({ mu: 25, sigma: 8.333 })), status: 'matched', matchId }));
      expect(ruleViolations(m, tickets, rules)).toEqual([]);
    }
    // Every match is on the stream once, including those the killed matcher claimed and had not published.
    const nc = await connect({ servers: NATS_URL });
    cleanups.push(() => nc.close());
    const onStream = async () => {
      const consumer = await nc.jetstream().consumers.get(stream);
      const ids: string[] = [];
      const batch = await consumer.fetch({ max_messages: 10_000, expires: 1000 });
      for await (const msg of batch) {
        if (msg.subject === `${subjectPrefix}.matchmaking.matched`) ids.push((msg.json() as { data: { matchId: string } }).data.matchId);
        if (msg.info.pending === 0) break;
      }
      return ids;
    };
    let published: string[] = [];
    await waitFor(async () => {
      published = await onStream();
      return [...matches.keys()].every((id) => published.includes(id));
    }, 'every match on the stream', 30_000);
    expect(new Set(published).size).toBe(published.length);

    const metrics = await fetch(`${survivor.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/realmstate_matchmaking_matches_total\{queue="arena-2v2"\} [1-9]/);
  }, 150_000);
});
