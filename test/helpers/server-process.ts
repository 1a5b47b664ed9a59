// Runs `realmstate serve` as a child process (the real binary, as a user starts it), for crash and shutdown tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_KEY, ADMIN_KEY } from './realm.js';
import { checkFetched } from './contract.js';

const BIN = fileURLToPath(new URL('../../bin/realmstate.js', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote, for failure messages. */
  output: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

let unthrottled: string | undefined;

/**
 * A game config whose rate limits no test reaches: load tests of other features must not be throttled by the
 * production defaults (1000 requests a second per key). Rate limits have their own tests. Pass REALMSTATE_CONFIG to override.
 */
export function unthrottledConfigFile(): string {
  if (unthrottled === undefined) {
    const file = join(tmpdir(), `realmstate-test-unthrottled-${process.pid}.yaml`);
    writeFileSync(file, 'version: 0\nlimits:\n  rateLimits: { perKeyPerSecond: 1000000000, perPlayerPerSecond: 1000000000, burst: 0 }\n');
    process.once('exit', () => rmSync(file, { force: true }));
    unthrottled = file;
  }
  return unthrottled;
}

export async function startServerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  // BENCH_SERVER_CPU_PROF=<dir>: the server writes a CPU profile there when it stops (as bench/server-child.ts).
  const profile = process.env.BENCH_SERVER_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, BIN, 'serve'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', REALMSTATE_API_KEY: API_KEY, REALMSTATE_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'info', REALMSTATE_CONFIG: unthrottledConfigFile(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${out}`)), timeoutMs);
    const onData = () => {
      const m = /Realmstate listening on (http:\/\/[^;\s"]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${out}`));
    });
  });
  return { child, url, output: () => out, exited };
}

export const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
export const adminHeaders = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

// Both check the response against the server's /openapi.json.
export async function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  await checkFetched('POST', url, res, text);
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
}

export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  await checkFetched('GET', url, res, text);
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, headers: res.headers };
}
