// `realmstate serve` as a process: it refuses to start on a bad config file, and SIGHUP reloads the file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, ADMIN_KEY } from '../helpers/realm.js';
import { waitFor } from '../helpers/wait.js';
import { fetchChecked } from '../helpers/contract.js';

const BIN = new URL('../../bin/realmstate.js', import.meta.url).pathname;
const EXAMPLE = readFileSync(new URL('../../examples/game-config.yaml', import.meta.url), 'utf8');

function serve(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', REALMSTATE_SHARDS: '1', REALMSTATE_API_KEY: API_KEY, REALMSTATE_ADMIN_KEY: ADMIN_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('realmstate serve and the game config', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'realmstate-cli-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits with the line and the field of a bad file', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 3\ntuning:\n  xpPerKill: 10\nlimits:\n  scores:\n    maxPerSubmission: -5\n');
    const server = serve({ REALMSTATE_DATA_DIR: join(dir, 'data-bad'), REALMSTATE_CONFIG: file });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain(`invalid game config ${file}: line 6, limits.scores.maxPerSubmission`);
  });

  it('reloads on SIGHUP', async () => {
    // The config path is a symlink into another directory: an in-place write to the target produces no event in
    // the watched directory, so only the SIGHUP can make the server read it.
    mkdirSync(join(dir, 'target'));
    const target = join(dir, 'target', 'game.yaml');
    const file = join(dir, 'game.yaml');
    writeFileSync(target, EXAMPLE);
    symlinkSync(target, file);
    const server = serve({ REALMSTATE_DATA_DIR: join(dir, 'data-hup'), REALMSTATE_CONFIG: file, LOG_LEVEL: 'info' });
    try {
      await waitFor(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(server.output()), 'the server to listen', 60_000);
      const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(server.output())?.[1];
      const version = async () => ((await (await fetchChecked(`http://127.0.0.1:${port}/v1/config`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { version: number }).version;
      expect(await version()).toBe(7);
      expect(server.output()).toContain(`game config: ${file} version 7`);

      writeFileSync(target, EXAMPLE.replace('version: 7', 'version: 8'));
      server.child.kill('SIGHUP');
      await waitFor(async () => (await version()) === 8, 'version 8 after SIGHUP');

      writeFileSync(target, 'version: 9\ntuning: [not, an, object]\n');
      server.child.kill('SIGHUP');
      await waitFor(() => server.output().includes('game config rejected'), 'the rejection in the log');
      expect(server.output()).toMatch(/line 2, tuning: /);
      expect(await version()).toBe(8);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  });
});
