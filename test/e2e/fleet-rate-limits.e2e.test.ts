// Fleet-wide rate limits: three realms with their own servers (each its own Redis client and buckets, as three
// processes would have) share one Redis prefix; a round-robin client floods them, and the fleet together allows the
// configured rate within 10%, for the key (a local share per instance) and for one player (a take from Redis per check).
// Without Redis the same three allow about three times as much: the limits stay per process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { startFleet, type TestFleet } from '../helpers/fleet.js';
import { auth, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { headers } from '../helpers/server-process.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../helpers/redis.js';

// Low rates: the flood must exceed them by far even on a busy 2-core machine.
const KEY_RATE = 30;
const PLAYER_RATE = 8;
const BURST = 5;

/** Floods the apps round-robin with `concurrency` clients for about `seconds`; counts what was let through. */
async function flood(fleet: Array<Pick<TestRealm, 'app'>>, url: string, seconds: number, concurrency = 24): Promise<{ allowed: number; limited: number; elapsed: number }> {
  let allowed = 0;
  let limited = 0;
  let next = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      const t = fleet[next++ % fleet.length] as Pick<TestRealm, 'app'>;
      const res = await t.app.inject({ method: 'GET', url, headers: auth });
      if (res.statusCode === 429) limited++;
      else allowed++;
    }
  }));
  return { allowed, limited, elapsed: (performance.now() - started) / 1000 };
}

describe('fleet-wide rate limits', () => {
  const prefix = uniquePrefix();
  let dir: string;
  let file: string;
  const opened: TestRealm[] = [];
  const fleetOf = async (env: Record<string, string>) => {
    const fleet: TestRealm[] = [];
    for (let i = 0; i < 3; i++) fleet.push(await startTestRealm('pglite', { shards: 1, env: { REALMSTATE_CONFIG: file, ...env } }));
    opened.push(...fleet);
    return fleet;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'realmstate-fleet-limits-'));
    file = join(dir, 'game.yaml');
    writeFileSync(file, `version: 1\nlimits:\n  rateLimits: { perKeyPerSecond: ${KEY_RATE}, perPlayerPerSecond: ${PLAYER_RATE}, burst: ${BURST} }\n`);
  });
  afterAll(async () => {
    for (const t of opened) await t.close();
    await deleteKeys(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the key\'s rate across three instances sharing Redis, within 10%', async () => {
    const fleet = await fleetOf({ REDIS_URL: redisUrl(0), REDIS_KEY_PREFIX: prefix });
    // A local share of 100 ms of the rate (3 tokens per call to Redis): the mode a busy key uses by default.
    const apps = await Promise.all(fleet.map(async (t) => ({ app: await buildServer(t.realm, { rateLimit: { sharedOptions: { shareMs: 100 } } }) })));
    const r = await flood(apps, '/v1/config', 3);
    await Promise.all(apps.map((a) => a.app.close()));
    const expected = KEY_RATE + BURST + KEY_RATE * r.elapsed;
    expect(r.limited, 'the flood must exceed the limit').toBeGreaterThan(r.allowed / 2);
    expect(Math.abs(r.allowed - expected) / expected, `allowed ${r.allowed}, expected ${expected.toFixed(0)} in ${r.elapsed.toFixed(2)} s`).toBeLessThan(0.1);
  });

  it('holds one player\'s rate across three instances sharing Redis, within 10% (a take from Redis per check)', async () => {
    const fleet = opened.slice(0, 3);
    // Another player than any other test's, on a key bucket wide enough not to be the one that refuses.
    writeFileSync(file, `version: 2\nlimits:\n  rateLimits: { perKeyPerSecond: 1000000, perPlayerPerSecond: ${PLAYER_RATE}, burst: ${BURST} }\n`);
    for (const t of fleet) await t.realm.config.reload();
    const r = await flood(fleet, '/v1/players/hot-player', 3);
    const expected = PLAYER_RATE + BURST + PLAYER_RATE * r.elapsed;
    expect(r.limited, 'the flood must exceed the limit').toBeGreaterThan(r.allowed / 2);
    expect(Math.abs(r.allowed - expected) / expected, `allowed ${r.allowed}, expected ${expected.toFixed(0)} in ${r.elapsed.toFixed(2)} s`).toBeLessThan(0.1);
  });

  it('charges a request forwarded to its player\'s owner once, not on both instances', async () => {
    // A lower rate and a longer flood than above: real processes over HTTP on a busy machine send fewer requests.
    const rate = 4;
    const burst = 2;
    writeFileSync(file, `version: 3\nlimits:\n  rateLimits: { perKeyPerSecond: 1000000, perPlayerPerSecond: ${rate}, burst: ${burst} }\n`);
    let processes: TestFleet | undefined;
    try {
      // Two server processes sharing the players (so half of the requests reach the other one first) and Redis.
      processes = await startFleet(2, { REALMSTATE_CONFIG: file });
      const urls = processes.servers.map((s) => s.url);
      let allowed = 0;
      let limited = 0;
      let forwarded = 0;
      let next = 0;
      const started = performance.now();
      const until = started + 6000;
      // Each request is charged when it arrives: the window ends with the last one sent, not the last answer.
      let lastSent = started;
      await Promise.all(Array.from({ length: 12 }, async () => {
        while (performance.now() < until) {
          const url = urls[next++ % urls.length] as string;
          lastSent = performance.now();
          const res = await fetch(`${url}/v1/players/forwarded-hot-player`, { headers });
          await res.arrayBuffer();
          if (res.status === 429) limited++;
          else allowed++;
          if (res.headers.get('x-realmstate-instance') !== (await instanceAt(url))) forwarded++;
        }
      }));
      const elapsed = (lastSent - started) / 1000;
      const expected = rate + burst + rate * elapsed;
      expect(forwarded, 'requests that reached the other instance first').toBeGreaterThan(0);
      expect(limited, 'the flood must exceed the limit').toBeGreaterThan(allowed / 2);
      expect(Math.abs(allowed - expected) / expected, `allowed ${allowed}, expected ${expected.toFixed(0)} in ${elapsed.toFixed(2)} s`).toBeLessThan(0.1);
    } finally {
      await processes?.cleanup();
    }
  }, 120_000);

  it('without Redis, limits each process on its own', async () => {
    writeFileSync(file, `version: 4\nlimits:\n  rateLimits: { perKeyPerSecond: ${KEY_RATE}, perPlayerPerSecond: ${PLAYER_RATE}, burst: ${BURST} }\n`);
    const fleet = await fleetOf({});
    const r = await flood(fleet, '/v1/config', 2);
    const onePerProcess = KEY_RATE + BURST + KEY_RATE * r.elapsed;
    expect(r.allowed).toBeGreaterThan(2 * onePerProcess);
  });
});

const instanceIds = new Map<string, string>();
/** The id of the instance listening at `url`. */
async function instanceAt(url: string): Promise<string> {
  let id = instanceIds.get(url);
  if (id === undefined) {
    id = (await fetch(`${url}/healthz`)).headers.get('x-realmstate-instance') ?? '';
    instanceIds.set(url, id);
  }
  return id;
}
