// Starts `realmstate serve` (the real binary, as a user starts it) in a child process for benchmarks and the load
// generator. A child that does not come up in time is killed, never left running behind a failed run.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/realmstate.js', import.meta.url));

export interface ServerChild {
  url: string;
  pid: number | undefined;
  /** The backends the server said it uses at start (its "listening" line, after the address). */
  description: string;
  /** The last 64 KiB the process wrote, for failure messages. */
  output: () => string;
  /** SIGTERM (a clean shutdown flushes everything), SIGKILL after `graceMs`; resolves once it exited. */
  stop: (graceMs?: number) => Promise<void>;
}

/**
 * Node options for a server child: with BENCH_SERVER_CPU_PROF=<dir>, each writes a CPU profile there when it stops
 * (node refuses --cpu-prof in NODE_OPTIONS), to see where a server's time goes under a scenario's load.
 */
function profileArgs(): string[] {
  const dir = process.env.BENCH_SERVER_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** Starts the server with the environment plus `env` (HOST 127.0.0.1, PORT 0 and LOG_LEVEL info unless given). */
export async function startServerChild(env: Record<string, string>, timeoutMs = 120_000): Promise<ServerChild> {
  const child = spawn(process.execPath, [...profileArgs(), BIN, 'serve'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-65_536);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (graceMs = 60_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  try {
    const listening = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start within ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
      const check = () => {
        const m = /Realmstate listening on (http:\/\/[^;\s"]+)([^"]*)/.exec(output);
        if (m) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve(m);
        }
      };
      child.stdout.on('data', check);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the server exited before listening:\n${output}`));
      });
    });
    return { url: listening[1] as string, pid: child.pid, description: (listening[2] ?? '').replace(/^;\s*/, ''), output: () => output, stop };
  } catch (err) {
    await stop(5000);
    throw err;
  }
}

/** Starts bench/empty-server.ts (an empty fastify server, the framework's limit) in a child process. */
export async function startEmptyServer(timeoutMs = 60_000): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./empty-server.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the empty server did not start within ${timeoutMs / 1000} s`)), timeoutMs);
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error('the empty server exited before listening'));
      });
    });
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
