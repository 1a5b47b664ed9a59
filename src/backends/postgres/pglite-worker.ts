// The embedded database's own thread: opens the PGlite, then runs what pglite-thread.ts sends. A transaction stays
// open while its statements arrive one by one (the caller's code between them runs on the main thread); PGlite runs
// one transaction at a time, so the others wait their turn here as they would on the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { runStatement } from './pglite-engine.js';
import { WalSync } from './wal-sync.js';
import type { ToWorker, FromWorker, ThreadError } from './pglite-thread-protocol.js';

const parseInt8 = (value: string): number | bigint => {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : BigInt(value);
};

if (!parentPort) throw new Error('pglite-worker.ts runs as a worker thread');
const port = parentPort;
const { dir } = workerData as { dir: string | undefined };

const post = (message: FromWorker) => port.postMessage(message);

/** An error as plain data: its message, name and the primitive fields callers classify by (code, errno, detail…). */
function serialise(err: unknown): ThreadError {
  if (!(err instanceof Error)) return { message: String(err), name: 'Error', fields: {} };
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(err)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
  }
  return { message: err.message, name: err.name, fields };
}

/** A transaction's statements, handed to its body as they arrive. */
class OpenTransaction {
  private readonly queue: Array<Extract<ToWorker, { t: 'query' | 'end' }>> = [];
  private wake: (() => void) | undefined;

  push(command: Extract<ToWorker, { t: 'query' | 'end' }>): void {
    this.queue.push(command);
    this.wake?.();
  }

  async next(): Promise<Extract<ToWorker, { t: 'query' | 'end' }>> {
    while (this.queue.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    return this.queue.shift() as Extract<ToWorker, { t: 'query' | 'end' }>;
  }
}

const ROLLBACK = Symbol('rollback');

async function main(): Promise<void> {
  const db = await PGlite.create(dir, { parsers: { [types.INT8]: parseInt8 } });
  const wal = dir === undefined ? undefined : new WalSync(dir);
  const open = new Map<number, OpenTransaction>();

  const runTransaction = (tx: number, setPath: string, durable: boolean, body: OpenTransaction) => {
    let endId: number | undefined;
    db.transaction(async (t: Transaction) => {
      await t.exec(setPath);
      for (;;) {
        const command = await body.next();
        if (command.t === 'end') {
          endId = command.id;
          if (!command.commit) throw ROLLBACK;
          return;
        }
        try {
          post({ id: command.id, rows: await runStatement(t, command.text, command.params) });
        } catch (err) {
          post({ id: command.id, error: serialise(err) });
        }
      }
    }).then(
      () => {
        open.delete(tx);
        if (durable) wal?.sync();
        post({ id: endId as number, rows: [] });
      },
      (err: unknown) => {
        // The transaction failed before its end (its schema could not be set): answer what is still coming.
        if (endId === undefined) {
          void failRest(body, err).then(() => open.delete(tx));
          return;
        }
        open.delete(tx);
        post(err === ROLLBACK ? { id: endId, rows: [] } : { id: endId, error: serialise(err) });
      },
    ).catch((err: unknown) => post({ id: endId ?? 0, error: serialise(err) }));
  };

  /** Answers every statement of a transaction that can no longer run with its error, up to and including its end. */
  const failRest = async (body: OpenTransaction, err: unknown) => {
    for (;;) {
      const command = await body.next();
      post({ id: command.id, error: serialise(err) });
      if (command.t === 'end') return;
    }
  };

  port.on('message', (message: ToWorker) => {
    switch (message.t) {
      case 'begin': {
        const body = new OpenTransaction();
        open.set(message.tx, body);
        runTransaction(message.tx, message.setPath, message.durable, body);
        break;
      }
      case 'query':
      case 'end':
        open.get(message.tx)?.push(message);
        break;
      case 'one':
        db.transaction(async (t) => {
          await t.exec(message.setPath);
          return runStatement(t, message.text, message.params);
        }).then((rows) => post({ id: message.id, rows }), (err: unknown) => post({ id: message.id, error: serialise(err) }));
        break;
      case 'exec':
        db.transaction(async (t) => {
          await t.exec(message.setPath);
          await t.exec(message.script);
        }).then(() => post({ id: message.id, rows: [] }), (err: unknown) => post({ id: message.id, error: serialise(err) }));
        break;
      case 'close':
        (message.skipCheckpoint ? Promise.resolve() : db.close()).then(() => post({ id: message.id, rows: [] }), (err: unknown) => post({ id: message.id, error: serialise(err) }));
        break;
    }
  });
  post({ id: 0, rows: [] });
}

main().catch((err: unknown) => post({ id: 0, error: serialise(err) }));
