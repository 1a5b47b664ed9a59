// No secret reaches the log: the API keys and the database password stay out of everything the realm logs at trace
// level, through start-up, normal requests, failed auth, broken and slow clients carrying the key, and a shard going
// down. Keys generated at first start are printed once to stdout by `serve` on purpose; they must not be in a log line.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { createRealm } from '../../src/realm.js';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { loadSettings } from '../../src/settings.js';
import { createDatabases } from '../helpers/backends.js';
import { startServerProcess } from '../helpers/server-process.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { fetchChecked } from '../helpers/contract.js';

// PostgreSQL here trusts local connections, so any password is accepted: it only has to be in the URL.
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const GAME_KEY = `game-${randomBytes(16).toString('hex')}`;
const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;

/**
 * Pieces of each secret long enough to matter (a log holding most of a key leaks it), as text and as the encodings a
 * serialised Buffer or a dump would use: pino writes a Buffer as {"type":"Buffer","data":[98,101,…]}.
 */
function secretPieces(...secrets: string[]): string[] {
  return secrets
    .flatMap((s) => [s, s.slice(0, 16), s.slice(-16), s.slice(8, 24)])
    .flatMap((p) => {
      const bytes = Buffer.from(p);
      return [p, bytes.join(','), bytes.toString('hex'), bytes.toString('base64').slice(0, -4)];
    });
}

function expectNoSecret(text: string, secrets: string[]): void {
  for (const piece of secretPieces(...secrets)) {
    const at = text.indexOf(piece);
    expect(at, `a secret is in the log: …${text.slice(Math.max(0, at - 200), at + 100)}…`).toBe(-1);
  }
}

describe('secrets in logs', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('keeps keys and the database password out of the log of a realm at trace level', async () => {
    const dbs = await createDatabases(2);
    cleanups.push(dbs.drop);
    const proxy = await new TcpProxy('127.0.0.1', 5432).start();
    cleanups.push(() => proxy.cut());
    const urls = [`postgres://postgres:${PASSWORD}@127.0.0.1:5432/${dbs.names[0]}`, `postgres://postgres:${PASSWORD}@127.0.0.1:${proxy.port}/${dbs.names[1]}`];
    const dataDir = mkdtempSync(join(tmpdir(), 'realmstate-secrets-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));

    let log = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        log += chunk.toString();
        done();
      },
    });
    const settings = loadSettings({ DATABASE_URLS: urls.join(','), REALMSTATE_API_KEY: GAME_KEY, REALMSTATE_ADMIN_KEY: ADMIN_KEY, REALMSTATE_DATA_DIR: dataDir, LOG_LEVEL: 'trace' });
    const logger = createLogger('trace', sink);
    const realm = await createRealm({ settings, logger, processMetrics: false });
    const app = await buildServer(realm, { headersTimeoutMs: 200, requestTimeoutMs: 400, timeoutCheckIntervalMs: 50 });
    cleanups.push(async () => {
      await app.close();
      await realm.close();
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    // What `serve` logs once it listens.
    logger.info(`Realmstate listening on ${base}; ${realm.describe()}`);

    const call = (method: string, path: string, key: string | undefined, body?: unknown) =>
      fetchChecked(`${base}${path}`, {
        method,
        headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
    const router = new ShardRouter(SlotMap.even(2));
    const onShard = (shard: number) => Array.from({ length: 100 }, (_, i) => `sec-${i}`).find((id) => router.shardOf(id) === shard) as string;
    const append = { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 1 } }] };

    expect((await call('POST', `/v1/players/${onShard(0)}/events`, GAME_KEY, append)).status).toBe(200);
    expect((await call('POST', `/v1/players/${onShard(1)}/events`, ADMIN_KEY, append)).status).toBe(200);
    expect((await call('GET', `/v1/players/${onShard(0)}`, GAME_KEY)).status).toBe(200);
    expect((await call('GET', '/v1/config/status', GAME_KEY)).status).toBe(403);
    // Failed auth with near misses: a logged near miss would leak almost the whole key.
    expect((await call('GET', `/v1/players/${onShard(0)}`, `${GAME_KEY.slice(0, -1)}x`)).status).toBe(401);
    expect((await call('GET', `/v1/players/${onShard(0)}`, `${ADMIN_KEY}${ADMIN_KEY}`)).status).toBe(401);
    expect((await call('GET', `/v1/players/${onShard(0)}?key=${GAME_KEY}`, undefined)).status).toBe(401);
    expect((await call('POST', `/v1/players/${onShard(0)}/events`, GAME_KEY, `{"events": [${GAME_KEY}`)).status).toBe(400);

    // Malformed HTTP and a slow client, both carrying the key: node hands us their raw bytes.
    for (const raw of [`GET /v1/config HTTP/1.1\r\nAuthorization: Bearer ${GAME_KEY}\r\nBad Header\r\n\r\n`, `GET /v1/config HTTP/1.1\r\nAuthorization: Bearer ${ADMIN_KEY}\r\n`]) {
      const socket = connect({ host: '127.0.0.1', port: (app.server.address() as { port: number }).port });
      socket.on('error', () => {});
      // Read the answer: a paused socket never sees the end of the stream, so 'close' may not come.
      socket.resume();
      socket.write(raw);
      await new Promise((resolve) => socket.once('close', resolve));
    }

    // A shard goes down: its players get 503, and the error (with its cause) is logged.
    await proxy.cut();
    expect((await call('POST', `/v1/players/${onShard(1)}/events`, GAME_KEY, append)).status).toBe(503);
    expect((await call('GET', `/v1/players/${onShard(1)}?consistency=strong`, GAME_KEY)).status).toBe(503);
    expect((await call('GET', '/readyz', undefined)).status).toBe(503);
    // Back up, so the shutdown can flush the written-behind row of the shard's player.
    await proxy.restore();
    await app.close();
    expect(await realm.close()).toBe(true);

    // The log did record all this (so the check below looks at something), and holds no secret.
    expect(log).toContain('"msg":"unavailable"');
    expect(log).toContain('closed a connection');
    expect(log).toContain('Realmstate listening on');
    expectNoSecret(log, [GAME_KEY, ADMIN_KEY, PASSWORD]);
  });

  it('keeps them out of the output of `realmstate serve`, except generated keys printed once, outside the log', async () => {
    const dbs = await createDatabases(1);
    cleanups.push(dbs.drop);
    const dataDir = mkdtempSync(join(tmpdir(), 'realmstate-secrets-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:5432/${dbs.names[0]}`;

    const given = await startServerProcess({ DATABASE_URLS: url, REALMSTATE_API_KEY: GAME_KEY, REALMSTATE_ADMIN_KEY: ADMIN_KEY, REALMSTATE_DATA_DIR: dataDir, LOG_LEVEL: 'trace' });
    const headers = { authorization: `Bearer ${GAME_KEY}`, 'content-type': 'application/json' };
    expect((await fetchChecked(`${given.url}/v1/players/out-1/events`, { method: 'POST', headers, body: '{"events":[{"type":"stat.add","data":{"stat":"xp","amount":1}}]}' })).status).toBe(200);
    expect((await fetchChecked(`${given.url}/v1/players/out-1`, { headers: { authorization: `Bearer ${GAME_KEY.slice(0, -1)}` } })).status).toBe(401);
    given.child.kill('SIGTERM');
    expect(await given.exited).toBe(0);
    expect(given.output()).toContain('stopped cleanly');
    expectNoSecret(given.output(), [GAME_KEY, ADMIN_KEY, PASSWORD]);

    // No keys in the environment: generated, stored in the data dir, printed once on stdout.
    const generated = await startServerProcess({ DATABASE_URLS: url, REALMSTATE_API_KEY: '', REALMSTATE_ADMIN_KEY: '', REALMSTATE_DATA_DIR: dataDir, LOG_LEVEL: 'trace' });
    generated.child.kill('SIGTERM');
    expect(await generated.exited).toBe(0);
    const out = generated.output();
    const keys = /game: {2}(\S+)\n {2}admin: (\S+)/.exec(out);
    expect(keys, out).not.toBeNull();
    const [, game, admin] = keys as unknown as [string, string, string];
    const logLines = out.split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(2);
    expectNoSecret(logLines.join('\n'), [game, admin, PASSWORD]);
    expect(out.split(game).length - 1).toBe(1);
  });
});
