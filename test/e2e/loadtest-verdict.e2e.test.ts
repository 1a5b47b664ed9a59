// The load generator's verdict is honest: a run against a server that dies halfway reports its errors, never says
// the server kept up, and exits non-zero so a script notices.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY } from '../helpers/realm.js';
import { startServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// A server start and a generator run: slow on a shared 2-core machine, so a generous limit.
describe('loadtest verdict', { timeout: 240_000 }, () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'realmstate-loadtest-verdict-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a server killed halfway makes the run fail with its errors counted, not "kept up"', async () => {
    const server = await startServerProcess({ REALMSTATE_DATA_DIR: join(dir, 'data') }, 180_000);
    const out = join(dir, 'result.json');
    const generator = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/loadtest.ts', '--url', server.url, '--key', ADMIN_KEY, '--players', '50', '--rate', '4', '--duration', '8', '--warmup', '0', '--interval', '1', '--connections', '8', '--out', out],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    generator.stdout.on('data', (d: Buffer) => (text += d.toString()));
    generator.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const exited = new Promise<number | null>((resolve) => generator.once('exit', (code) => resolve(code)));
    try {
      // Two progress lines of measured load, then the server dies (SIGKILL: no goodbye on its sockets).
      await waitFor(() => (text.match(/^\s+\d+ s {2}online/gm) ?? []).length >= 2 || generator.exitCode !== null, 'two progress lines', 180_000);
      server.child.kill('SIGKILL');
      await server.exited;
      const code = await exited;
      expect(code, text).toBe(3);
      expect(text).toMatch(/THE RUN HAD ERRORS: [\d,]+ of [\d,]+ requests failed \(network [\d,]+/);
      expect(text).not.toMatch(/kept up/);
      const result = JSON.parse(readFileSync(out, 'utf8')) as { pacing: { verdict: string; keptUp: boolean; errors: number }; errorsByStatus: Record<string, number>; serverMemory: { beforeRssBytes: number | null; maxRssBytes: number | null } };
      expect(result.pacing).toMatchObject({ verdict: 'errors', keptUp: false });
      expect(result.errorsByStatus.network).toBeGreaterThan(0);
      expect(result.pacing.errors).toBe(Object.values(result.errorsByStatus).reduce((a, b) => a + b, 0));
      // The maximum includes the reading before the load: never below it.
      expect(result.serverMemory.beforeRssBytes).not.toBeNull();
      expect(result.serverMemory.maxRssBytes).toBeGreaterThanOrEqual(result.serverMemory.beforeRssBytes as number);
    } finally {
      generator.kill('SIGKILL');
      server.child.kill('SIGKILL');
    }
  });
});
