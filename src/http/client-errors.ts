// Answers to requests that never became requests: malformed HTTP, headers over the size limit, or a client too slow
// to send its headers or body within the timeouts (slowloris). Node hands these to us as socket errors; the answer
// keeps the documented error body, and the connection is closed.
import type { ConnectionError, FastifyInstance } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { HTTP_STATUS, type ErrorCode } from '../errors.js';

/** Largest size of all request headers together (node's default, stated here so the docs can name it). */
export const MAX_HEADER_BYTES = 16 * 1024;

function classify(code: string | undefined): { code: ErrorCode; message: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { code: 'request_timeout', message: 'the request did not arrive in full in time' };
  if (code === 'HPE_HEADER_OVERFLOW') return { code: 'payload_too_large', message: `request headers are larger than ${MAX_HEADER_BYTES / 1024} KiB` };
  return { code: 'invalid_argument', message: 'malformed HTTP request' };
}

export function clientErrorHandler(this: FastifyInstance, err: ConnectionError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, message } = classify(err.code);
  // Only the code: the error object carries the raw bytes received (`rawPacket`), Authorization header included.
  this.log.debug({ clientError: err.code ?? 'unknown' }, 'closed a connection: %s', message);
  // A socket that already carried a response (keep-alive) is closed without another one, as node itself does.
  if (socket.writable && socket.bytesWritten === 0) {
    const status = HTTP_STATUS[code];
    const body = JSON.stringify({ error: { code, message } });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
