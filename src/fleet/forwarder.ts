// Forwards an HTTP request to the instance that owns its player, over keep-alive connections (one pool per
// instance, reused across requests), and hands back the owner's answer as it was.
import http from 'node:http';

export interface Forwarded {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The request never reached the owner (nothing was applied there): safe to try again elsewhere. */
export class OwnerUnreachableError extends Error {}

/** Headers that travel with a forwarded request; hop-by-hop and length headers are recomputed. */
const REQUEST_HEADERS = ['authorization', 'content-type', 'accept', 'x-request-id', 'user-agent'];
const RESPONSE_HEADERS = ['content-type', 'retry-after', 'x-realmstate-source', 'x-realmstate-instance', 'x-request-id'];

export class Forwarder {
  // Idle connections close after 4 s, before the other instance's 10 s keep-alive timeout would: a request sent on a
  // connection the server is closing at that moment fails with ECONNRESET, and a forwarded append cannot be retried blindly.
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 1000, timeout: 4000 });

  async send(
    baseUrl: string,
    request: { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: unknown },
    extra: Record<string, string>,
    timeoutMs: number,
  ): Promise<Forwarded> {
    const target = new URL(request.url, baseUrl);
    const payload = request.body === undefined ? undefined : Buffer.from(typeof request.body === 'string' ? request.body : JSON.stringify(request.body));
    const headers: Record<string, string> = { ...extra };
    for (const name of REQUEST_HEADERS) {
      const v = request.headers[name];
      if (typeof v === 'string') headers[name] = v;
    }
    if (payload) headers['content-length'] = String(payload.length);
    return new Promise<Forwarded>((resolve, reject) => {
      let connected = false;
      const req = http.request(target, { method: request.method, headers, agent: this.agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const name of RESPONSE_HEADERS) {
            const v = res.headers[name];
            if (typeof v === 'string') out[name] = v;
          }
          resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
        });
      });
      req.on('socket', (socket) => {
        if (!socket.connecting) connected = true;
        else socket.once('connect', () => (connected = true));
      });
      req.on('timeout', () => req.destroy(new Error(`the owner did not answer within ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // Refused or unresolvable: the owner never saw the request. Anything later is ambiguous.
        const neverSent = !connected && (err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENOTFOUND' || err.code === 'ECONNRESET');
        reject(neverSent ? new OwnerUnreachableError(err.message, { cause: err }) : err);
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
