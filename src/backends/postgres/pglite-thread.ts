// The embedded database on a worker thread of its own (pglite-worker.ts): every statement is a message there and
// back. A transaction's statements are sent as the caller's code issues them, and its end commits (or rolls back)
// there, flushing the commit record to the disk first when the transaction is durable.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PgliteEngine } from './pglite-engine.js';
import type { FromWorker, ThreadError, ToWorker } from './pglite-thread-protocol.js';
import type { Row, SqlExecutor } from './sql-port.js';

interface Waiting {
  resolve: (rows: unknown[]) => void;
  reject: (err: Error) => void;
}

/** The thread's script: the compiled one next to this file, or (in a checkout) the source through tsx. */
function startWorker(dir: string | undefined): Worker {
  const compiled = new URL('./pglite-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, { workerData: { dir } });
  const source = new URL('./pglite-worker.ts', import.meta.url).href;
  const tsx = tsxApi();
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(boot, { eval: true, workerData: { dir } });
}

/** tsx's ES module API (its `import` entry; require.resolve would give the CommonJS one). */
function tsxApi(): string {
  if (typeof import.meta.resolve === 'function') return import.meta.resolve('tsx/esm/api');
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(manifest), (exports['./esm/api'] as { import: { default: string } }).import.default)).href;
}

function revive(error: ThreadError): Error {
  const err = new Error(error.message);
  Object.assign(err, error.fields);
  err.name = error.name;
  return err;
}

export class PgliteThread implements PgliteEngine {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private gone: Error | undefined;
  private closing = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: FromWorker) => {
      const w = this.waiting.get(message.id);
      if (!w) return;
      this.waiting.delete(message.id);
      this.settled();
      if (message.error) w.reject(revive(message.error));
      else w.resolve(message.rows);
    });
    const fail = (err: Error) => {
      this.gone ??= err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the embedded database's thread stopped (exit code ${code})`)));
  }

  /** Opens the database at `dir` (undefined: in memory) on a new thread. */
  static async open(dir: string | undefined): Promise<PgliteThread> {
    const worker = startWorker(dir);
    const thread = new PgliteThread(worker);
    try {
      // The thread answers request 0 once the database is open.
      await thread.wait(0);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return thread;
  }

  get closed(): boolean {
    return this.closing || this.gone !== undefined;
  }

  /** A reply to come; the thread keeps the process alive only while some reply is awaited. */
  private wait(id: number): Promise<unknown[]> {
    if (this.gone) return Promise.reject(this.gone);
    const reply = new Promise<unknown[]>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    if (this.waiting.size === 1) this.worker.ref();
    return reply;
  }

  private settled(): void {
    if (this.waiting.size === 0) this.worker.unref();
  }

  private request(message: ToWorker & { id: number }): Promise<unknown[]> {
    const reply = this.wait(message.id);
    if (this.gone) return reply;
    try {
      this.worker.postMessage(message);
    } catch (err) {
      // A parameter that cannot be copied to the thread (a function, say): refused here, nothing was sent.
      this.waiting.delete(message.id);
      this.settled();
      return Promise.reject(err as Error);
    }
    return reply;
  }

  async transaction<T>(setPath: string, durable: boolean, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.gone) throw this.gone;
    const tx = this.nextId++;
    this.worker.postMessage({ t: 'begin', tx, setPath, durable } satisfies ToWorker);
    let result: T;
    try {
      result = await fn({
        query: async <R extends object = Row>(text: string, params?: readonly unknown[]) => (await this.request({ t: 'query', tx, id: this.nextId++, text, params })) as R[],
      });
    } catch (err) {
      await this.request({ t: 'end', tx, id: this.nextId++, commit: false }).catch(() => {});
      throw err;
    }
    await this.request({ t: 'end', tx, id: this.nextId++, commit: true });
    return result;
  }

  async query<R extends object = Row>(setPath: string, text: string, params?: readonly unknown[]): Promise<R[]> {
    return (await this.request({ t: 'one', id: this.nextId++, setPath, text, params })) as R[];
  }

  async exec(setPath: string, script: string): Promise<void> {
    await this.request({ t: 'exec', id: this.nextId++, setPath, script });
  }

  /** Closes the database (with a checkpoint unless `skipCheckpoint`: a full disk would hang it) and ends the thread. */
  async close(skipCheckpoint = false): Promise<void> {
    if (this.closed) return;
    try {
      await this.request({ t: 'close', id: this.nextId++, skipCheckpoint });
    } finally {
      this.closing = true;
      await this.worker.terminate();
    }
  }
}
