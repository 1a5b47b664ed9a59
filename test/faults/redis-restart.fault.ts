// Redis restarted empty under load: the leaderboards are rebuilt from PostgreSQL and equal what was accepted,
// the player cache refills, and nothing acknowledged is lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabases } from '../helpers/backends.js';
import { adminHeaders, getJson, headers, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { closeBooks } from './support/books.js';
import { audit, GameLoad, QUICK, sleep, waitFor } from './support/load.js';
import { freePort } from './support/private-postgres.js';
import { PrivateRedis } from './support/private-redis.js';

describe('fault: Redis restarted empty', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('rebuilds the boards equal to what was accepted and refills the cache', async () => {
    const redis = await new PrivateRedis().start();
    cleanups.push(() => redis.stop());
    const dbs = await createDatabases(4);
    cleanups.push(dbs.drop);
    const dataDir = mkdtempSync(join(tmpdir(), 'rs-fault-redis-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const server: ServerProcess = await startServerProcess({ REALMSTATE_DATA_DIR: dataDir, PORT: String(await freePort()), DATABASE_URLS: dbs.urls.join(','), REDIS_URL: redis.url });
    cleanups.push(async () => void server.child.kill('SIGKILL'));
    await fetch(`${server.url}/v1/leaderboards/arena`, { method: 'PUT', headers: adminHeaders, body: JSON.stringify({ order: 'desc', operator: 'best' }) });

    // Score submissions alongside the player load; the best accepted score per player is what the board must show.
    const best = new Map<string, number>();
    let submitting = true;
    let submitted = 0;
    const submitter = (async () => {
      for (let i = 0; submitting; i++) {
        const playerId = `arena-${i % 300}`;
        const score = (i * 7919) % 100_000;
        try {
          const res = await fetch(`${server.url}/v1/leaderboards/arena/scores`, { method: 'POST', headers, body: JSON.stringify({ playerId, score }) });
          if (res.status === 200) {
            submitted++;
            best.set(playerId, Math.max(best.get(playerId) ?? -Infinity, score));
          }
        } catch {
          await sleep(20);
        }
      }
    })();
    const load = new GameLoad(() => server.url, { players: 80, prefix: 'redis' });
    load.start(12);
    await sleep(QUICK ? 1500 : 4000);
    await redis.stop();
    await sleep(QUICK ? 500 : 2000);
    await redis.start();
    const backAt = Date.now();
    await sleep(QUICK ? 1500 : 4000);
    submitting = false;
    await submitter;
    await load.stop();

    const boardMatches = async () => {
      const top = await getJson(`${server.url}/v1/leaderboards/arena/top?limit=1000`);
      if (top.status !== 200) return false;
      const entries = top.body.entries as Array<{ playerId: string; score: number }>;
      return entries.length === best.size && entries.every((e) => best.get(e.playerId) === e.score);
    };
    const recoverSeconds = (await waitFor(boardMatches, 60_000)) + (Date.now() - backAt) / 1000 - 0;
    const top = (await getJson(`${server.url}/v1/leaderboards/arena/top?limit=1000`)).body.entries as Array<{ playerId: string; score: number }>;
    const lostScores = [...best].filter(([id, score]) => !top.some((e) => e.playerId === id && e.score === score)).length;
    // The cache refills: a second read of a player is served by Redis again.
    const probe = load.players[0] as string;
    await getJson(`${server.url}/v1/players/${probe}?consistency=strong`);
    await waitFor(async () => {
      const r = await getJson(`${server.url}/v1/players/${probe}`);
      return ['cache', 'memory'].includes(r.headers.get('x-realmstate-source') ?? '');
    });
    const books = await audit(server.url, load);
    expect(submitted).toBeGreaterThan(50);
    closeBooks({
      scenario: 'Redis restarted empty',
      acknowledged: books.acknowledged + submitted,
      found: books.found + submitted - lostScores,
      lost: books.lost + lostScores,
      duplicated: books.duplicated,
      recoverSeconds,
      note: `${submitted} score submissions (${best.size} players on the board) and ${books.acknowledged} appends`,
    });
  });
});
