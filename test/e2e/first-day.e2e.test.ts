// What a new user meets on the first day, run as they run it: `npm start` under a process manager (SIGTERM to the npm
// process), a second server on a taken port, `realmstate` with no command, and the CLI's messages.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, API_KEY } from '../helpers/realm.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/realmstate.js');

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => resolve(server));
  });
}

async function freePort(): Promise<number> {
  const server = await listenOn(0);
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs the CLI and returns its exit code and output, whether it failed or not. */
async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// Each CLI run opens PGlite or starts a server: slow on a shared 2-core machine, so generous limits.
describe('first day', { timeout: 240_000 }, () => {
  let base: string;
  /** Processes a failed or timed-out test may leave behind, stopped after the suite. */
  const leftovers: number[] = [];

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'realmstate-first-day-'));
  });
  afterAll(() => {
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(base, { recursive: true, force: true });
  });

  it('npm start stops cleanly and frees the port when the npm process itself gets SIGTERM', async () => {
    const dataDir = join(base, 'npm-start');
    const port = await freePort();
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), REALMSTATE_DATA_DIR: dataDir, REALMSTATE_API_KEY: API_KEY, REALMSTATE_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
    if (npm.pid !== undefined) leftovers.push(npm.pid);
    const exited = new Promise<number | string>((resolve) => npm.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    await waitFor(() => /Realmstate listening on/.test(out) || npm.exitCode !== null, 'the server to listen', 180_000);
    expect(out).toMatch(/Realmstate listening on/);
    // The admin console comes with it, with no build step: the page, and its script bundled when first asked for.
    expect(out).toContain(`admin console: http://127.0.0.1:${port}/console`);
    const page = await fetch(`http://127.0.0.1:${port}/console`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const script = await fetch(`http://127.0.0.1:${port}/console/app.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('var RealmstateClient = class');
    // The embedded database's lock file names the server process: the one a process manager must not orphan.
    const serverPid = Number(readFileSync(join(dataDir, 'realmstate.lock'), 'utf8'));
    leftovers.push(serverPid);
    expect(serverPid).not.toBe(npm.pid);
    expect(alive(serverPid)).toBe(true);

    npm.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(() => !alive(serverPid), `server ${serverPid} to exit after npm`, 60_000);
    expect(out).toMatch(/"signal":"SIGTERM".*stopping/);
    expect(out).toMatch(/stopped cleanly/);
    // The port is free again: another server can take it.
    const next = await listenOn(port);
    await new Promise((r) => next.close(r));
    expect(existsSync(join(dataDir, 'realmstate.lock'))).toBe(false);
  });

  it('a taken port fails at once with one line, creating neither keys nor a database', async () => {
    const holder = await listenOn(0);
    try {
      const { port } = holder.address() as AddressInfo;
      const dataDir = join(base, 'taken-port');
      const result = await cli(['serve'], { PORT: String(port), REALMSTATE_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        `realmstate: cannot listen on 127.0.0.1:${port}: the port is already in use (another Realmstate server?); stop that process or set PORT to a free port`,
      ]);
      expect(result.stdout).toBe('');
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it('realmstate with no command prints the help instead of starting a server', async () => {
    const dataDir = join(base, 'no-command');
    const result = await cli([], { REALMSTATE_DATA_DIR: dataDir });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^usage: realmstate <command>/);
    expect(result.stdout).toMatch(/--help/);
    expect(existsSync(dataDir)).toBe(false);
    const help = await cli(['--help'], { REALMSTATE_DATA_DIR: dataDir });
    expect(help).toMatchObject({ code: 0, stdout: result.stdout });
  });

  it('replay --seq refuses what is not a number before opening anything', async () => {
    const dataDir = join(base, 'bad-seq');
    for (const seq of ['abc', '0']) {
      const result = await cli(['replay', 'aria', '--seq', seq], { REALMSTATE_DATA_DIR: dataDir });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(`realmstate: --seq must be a whole number ≥ 1 (the seq of one of the player's events), not "${seq}"`);
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('an embedded command on a database a server holds says to stop the server, and what to use instead', async () => {
    const dataDir = join(base, 'in-use');
    mkdirSync(dataDir);
    // A live process (this test) holds the lock, as a running server does.
    writeFileSync(join(dataDir, 'realmstate.lock'), String(process.pid));
    const replay = await cli(['replay', 'aria'], { REALMSTATE_DATA_DIR: dataDir, REALMSTATE_API_KEY: API_KEY, REALMSTATE_ADMIN_KEY: ADMIN_KEY });
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(/^opening the embedded database in .*…\n/);
    expect(replay.stderr).toContain(`is in use by process ${process.pid}: probably a running server. In embedded mode \`realmstate replay\` needs the database to itself; stop the server first (while it runs, use GET /v1/players/{id}/state-at?seq=N).`);
    const migrate = await cli(['migrate'], { REALMSTATE_DATA_DIR: dataDir });
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toMatch(/stop the server first \(a running server has already migrated its schema at start\)/);
    const rebuild = await cli(['leaderboard', 'rebuild', 'arena'], { REALMSTATE_DATA_DIR: dataDir, REALMSTATE_API_KEY: API_KEY, REALMSTATE_ADMIN_KEY: ADMIN_KEY });
    expect(rebuild.code).toBe(1);
    expect(rebuild.stderr).toMatch(/stop the server first \(while it runs, use POST \/v1\/leaderboards\/\{board\}:rebuild/);
  });

  it('an embedded leaderboard rebuild says what it rebuilt, with progress', async () => {
    const dataDir = join(base, 'embedded-rebuild');
    const config = join(base, 'boards.yaml');
    writeFileSync(config, 'version: 1\nleaderboards:\n  - { id: arena, order: desc, operator: best, reset: never }\n');
    const result = await cli(['leaderboard', 'rebuild', 'arena'], { REALMSTATE_DATA_DIR: dataDir, REALMSTATE_CONFIG: config, REALMSTATE_API_KEY: API_KEY, REALMSTATE_ADMIN_KEY: ADMIN_KEY });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ board: 'arena', season: 'all', sets: [{ region: null, entries: 0 }] });
    expect(result.stderr).toMatch(/^opening the embedded database in .* \(4 shards; PGlite takes a few seconds to open\)…\nopened in \d+\.\d s; rebuilding arena from its durable copy\n/);
    expect(result.stderr).toMatch(/rebuilt arena season all: 0 entries from the embedded database, in this command's in-process sorted sets only: without REDIS_URL/);
    expect(result.stderr).not.toMatch(/in Redis/);
  });
});
