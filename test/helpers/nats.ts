// NATS for tests: unique stream names and subject prefixes on the machine's server, or a private nats-server
// (another port, its own store) that a test may stop and restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { uniqueName } from './backends.js';

export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export function uniqueStream(): { stream: string; subjectPrefix: string } {
  const name = uniqueName('test');
  return { stream: name.toUpperCase(), subjectPrefix: `${name}.events` };
}

export async function deleteStream(stream: string, url = NATS_URL): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream).catch(() => {});
  } finally {
    await nc.close();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A nats-server of the test's own, with JetStream, that can be stopped and started again on the same port and store. */
export class PrivateNats {
  private child: ChildProcess | undefined;
  readonly storeDir = mkdtempSync(join(tmpdir(), 'realmstate-nats-'));
  port = 0;

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port ||= await freePort();
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], { stdio: 'ignore' });
    this.child = child;
    for (let i = 0; i < 100; i++) {
      try {
        const nc: NatsConnection = await connect({ servers: this.url, timeout: 500 });
        await nc.close();
        return this;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('private nats-server did not start');
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

export interface StoredMessage {
  subject: string;
  msgId: string;
  /** The message's sequence number in the stream. */
  streamSeq: number;
  event: { playerId: string; seq: number; type: string; data: unknown; recordedAt: string };
}

/** Rejects after `ms` with the step's name, so a stuck client call fails a test with a reason instead of hanging it. */
function within<T>(ms: number, step: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${step} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Every message of a stream, in stream order (an ordered consumer). Right after a cluster member was killed, an
 * ordered consumer's fetch can stall forever while the stream's replicas settle; each attempt is bounded and a stalled
 * one starts over with a new connection and consumer.
 */
export async function readStream(stream: string, url = NATS_URL, attempts = 5): Promise<StoredMessage[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await within(30_000, `reading stream ${stream}`, readStreamOnce(stream, url));
    } catch (err) {
      if (attempt >= attempts) throw err;
    }
  }
}

async function readStreamOnce(stream: string, url: string): Promise<StoredMessage[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    const total = (await jsm.streams.info(stream)).state.messages;
    const consumer = await nc.jetstream().consumers.get(stream);
    const out: StoredMessage[] = [];
    while (out.length < total) {
      const batch = await consumer.fetch({ max_messages: Math.min(1000, total - out.length), expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        out.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') ?? '', streamSeq: m.seq, event: m.json() });
      }
      if (got === 0) break;
    }
    return out;
  } finally {
    void nc.close().catch(() => {});
  }
}

/** How many messages the stream holds, or 0 while it cannot be asked (bounded, like `readStream`). */
export async function streamCount(stream: string, url = NATS_URL): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    return await within(10_000, `counting stream ${stream}`, nc.jetstreamManager().then(async (jsm) => (await jsm.streams.info(stream)).state.messages));
  } catch {
    return 0;
  } finally {
    void nc.close().catch(() => {});
  }
}
