// The messages between the main thread (pglite-thread.ts) and the embedded database's thread (pglite-worker.ts).

/** To the database's thread. `id` names the reply; a transaction's statements carry its `tx`. */
export type ToWorker =
  | { t: 'begin'; tx: number; setPath: string; durable: boolean }
  | { t: 'query'; tx: number; id: number; text: string; params?: readonly unknown[] }
  | { t: 'end'; tx: number; id: number; commit: boolean }
  | { t: 'one'; id: number; setPath: string; text: string; params?: readonly unknown[] }
  | { t: 'exec'; id: number; setPath: string; script: string }
  | { t: 'close'; id: number; skipCheckpoint: boolean };

/** An error as data: structured cloning keeps only an Error's message, so its fields travel apart. */
export interface ThreadError {
  message: string;
  name: string;
  fields: Record<string, string | number | boolean>;
}

/** From the database's thread: the rows, or the error, of request `id` (0: the database is open, or failed to). */
export type FromWorker = { id: number; rows: unknown[]; error?: undefined } | { id: number; error: ThreadError; rows?: undefined };
