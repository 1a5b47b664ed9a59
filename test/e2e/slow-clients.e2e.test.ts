// Slow and broken clients against a real listening server, over raw TCP: a client that trickles its headers or its
// body (slowloris), or sends nothing at all, is cut off by the server's timeouts (shortened here) instead of holding
// its socket for ever; oversized headers and malformed HTTP get a documented error. Asserts that the server closes the
// connection, never how fast: each wait has a generous deadline.
import type { FastifyInstance } from 'fastify';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.js';
import { API_KEY, startTestRealm, type TestRealm } from '../helpers/realm.js';
import { waitFor } from '../helpers/wait.js';
import { fetchChecked } from '../helpers/contract.js';

const DEADLINE_MS = 20_000;

interface Raw {
  socket: Socket;
  received: () => string;
  /** Resolves when the server closes the connection; rejects after DEADLINE_MS. */
  closed: Promise<void>;
}

async function open(port: number): Promise<Raw> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let data = '';
  socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server kept the connection open for ${DEADLINE_MS} ms; received: ${data}`)), DEADLINE_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { socket, received: () => data, closed };
}

/** Writes `chunk` every 100 ms until the connection closes, so the socket is never idle. */
function trickle(raw: Raw, chunk: string): void {
  const timer = setInterval(() => {
    if (!raw.socket.destroyed && raw.socket.writable) raw.socket.write(chunk);
  }, 100);
  void raw.closed.finally(() => clearInterval(timer)).catch(() => {});
}

function errorOf(response: string): { status: number; code: unknown } {
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1]);
  const body = response.slice(response.indexOf('\r\n\r\n') + 4);
  return { status, code: (JSON.parse(body) as { error: { code: unknown } }).error.code };
}

describe('slow and broken clients', () => {
  let t: TestRealm;
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    t = await startTestRealm('pglite', { shards: 1 });
    app = await buildServer(t.realm, { headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckIntervalMs: 100 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  it('closes a connection whose headers trickle in (slowloris), with 408', async () => {
    const raw = await open(port);
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: realm\r\n');
    trickle(raw, 'X-Slow: 1\r\n');
    await raw.closed;
    expect(errorOf(raw.received())).toEqual({ status: 408, code: 'request_timeout' });
  });

  it('closes a connection whose body trickles in, with 408, and writes nothing', async () => {
    const raw = await open(port);
    raw.socket.write(
      `POST /v1/players/slow-body/events HTTP/1.1\r\nHost: realm\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"events":[`,
    );
    trickle(raw, ' ');
    await raw.closed;
    expect(errorOf(raw.received())).toEqual({ status: 408, code: 'request_timeout' });
    expect(t.realm.players.peek('slow-body')).toBeUndefined();
  });

  it('closes a connection that sends nothing', async () => {
    const raw = await open(port);
    await raw.closed;
  });

  it('answers oversized headers with 413 and malformed or ambiguous HTTP with 400, in the documented shape', async () => {
    const big = await open(port);
    big.socket.write(`GET /healthz HTTP/1.1\r\nHost: realm\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    await big.closed;
    expect(errorOf(big.received())).toEqual({ status: 413, code: 'payload_too_large' });

    const junk = await open(port);
    junk.socket.write('HELLO THERE\r\n\r\n');
    await junk.closed;
    expect(errorOf(junk.received())).toEqual({ status: 400, code: 'invalid_argument' });

    // Both framings at once is how requests are smuggled past a proxy: refused outright.
    const smuggle = await open(port);
    smuggle.socket.write('POST /v1/players:batchGet HTTP/1.1\r\nHost: realm\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    await smuggle.closed;
    expect(errorOf(smuggle.received())).toEqual({ status: 400, code: 'invalid_argument' });
  });

  it('keeps serving everyone else', async () => {
    const res = await fetchChecked(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
  });

  it('answers a request that arrives while the server closes with the documented 503', async () => {
    const closing = await buildServer(t.realm);
    await closing.listen({ host: '127.0.0.1', port: 0 });
    const raw = await open((closing.server.address() as { port: number }).port);
    const body = '{"events":[{"type":"stat.add","data":{"stat":"xp","amount":1}}]}';
    // A request in flight keeps the connection busy, so closing does not reap it; the next one is pipelined behind it.
    const seen = new Promise((resolve) => closing.server.once('request', resolve));
    raw.socket.write(`POST /v1/players/closing-1/events HTTP/1.1\r\nHost: realm\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    await seen;
    const closed = closing.close();
    await waitFor(() => !closing.server.listening, 'the server to start closing');
    raw.socket.write(`${body.slice(10)}GET /v1/players/closing-1 HTTP/1.1\r\nHost: realm\r\nAuthorization: Bearer ${API_KEY}\r\n\r\n`);
    await closed;
    await raw.closed;
    const [first, second] = raw.received().split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(errorOf(second ?? '')).toEqual({ status: 503, code: 'unavailable' });
  });
});
