// The bench runner as a new user meets it: --help and --list answer, an unknown option is one message and the usage
// (no stack trace), and only a full run may replace the committed figures in bench/results/latest.json.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { resultsDir } from '../../bench/results-dir.js';
import { SCENARIOS } from '../../bench/scenarios/index.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('bench runner', () => {
  it('only a full run writes bench/results/; quick and chosen-scenario runs have folders of their own', () => {
    expect(resultsDir({ quick: false, chosen: [] })).toBe('./results/');
    expect(resultsDir({ quick: false, chosen: ['config'] })).toBe('./results/partial/');
    expect(resultsDir({ quick: true, chosen: [] })).toBe('./results/quick/');
    expect(resultsDir({ quick: true, chosen: ['config'] })).toBe('./results/quick/');
  });

  it('--help prints the usage, --list the scenarios, an unknown option the usage without a stack trace', async () => {
    const help = await bench(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run bench -- \[--quick\] \[scenario …\]/);
    expect(help.stdout).toMatch(/--list/);
    const list = await bench(['--list']);
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(SCENARIOS.map((s) => s.name));
    const bogus = await bench(['--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^bench: Unknown option '--bogus'/);
    expect(bogus.stderr).toContain('usage: npm run bench');
    expect(bogus.stderr).not.toMatch(/\n\s+at /);
    const unknown = await bench(['nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^bench: unknown scenario nope; known: write-behind/);
  });
});
