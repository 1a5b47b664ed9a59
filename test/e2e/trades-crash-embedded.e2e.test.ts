// Random trades among 50 players on the embedded database, the server killed with -9 mid-run and restarted on its
// data (test/helpers/trade-soak.ts has the checks). REALMSTATE_TEST_TRADES sets the number of trades (default 40).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServerProcess } from '../helpers/server-process.js';
import { drive, randomTrades, seedPlayers, verify } from '../helpers/trade-soak.js';

describe('trades through a crash, embedded', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });
  const tempDir = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    cleanups.push(async () => rmSync(d, { recursive: true, force: true }));
    return d;
  };

  const embeddedTrades = Number(process.env.REALMSTATE_TEST_TRADES ?? 40);
  it(`embedded, kill -9 and a restart on the same data: ${embeddedTrades} trades settle or roll back, and the books balance`, async () => {
    const env = { REALMSTATE_DATA_DIR: tempDir('rs-trade-embedded-') };
    let server = await startServerProcess(env);
    cleanups.push(async () => void server.child.kill('SIGKILL'));
    await seedPlayers(server.url);
    const trades = randomTrades(embeddedTrades, 2017);
    const first = server;
    // Requests sent after the kill wait for the restarted server; those in flight at the kill get no answer.
    let current: Promise<typeof server> = Promise.resolve(first);
    const seen = await drive(trades, () => current, (s) => s === first, async () => {
      first.child.kill('SIGKILL');
      current = first.exited.then(() => startServerProcess(env)).then((s) => (server = s));
      await current;
    });
    expect(seen.get('200') ?? 0, JSON.stringify([...seen])).toBeGreaterThan(embeddedTrades / 5);
    await verify(server.url, trades);
  }, 300_000);
});
