// A small keep-alive HTTP client for load: node:http with one socket per concurrent worker
// (fetch adds per-request overhead that would be measured as the server's).
import http from 'node:http';

export class LoadClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  /** `agent` adds options of the keep-alive agent (e.g. the load generator's idle timeout and socket rotation). */
  constructor(baseUrl: string, private readonly headers: Record<string, string>, concurrency: number, agent: http.AgentOptions = {}) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, ...agent });
  }

  /** Sends a request and resolves with the status and body; rejects on a network error or a status ≥ 400. */
  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    const res = await this.send(method, path, body);
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 200)}`);
    return res;
  }

  /** Sends a request and resolves with the status and body whatever the status; rejects only on a network error. */
  send(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.host, port: this.port, method, path, agent: this.agent, headers: payload ? { ...this.headers, 'content-type': 'application/json' } : this.headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /**
   * The same requests as a `fetch` (for the typed client's `fetch` option): its sockets, its agent's options, and an
   * abort that destroys the request. Only what the client passes is read: method, string body, plain headers.
   */
  readonly fetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = { ...this.headers, ...(init.headers as Record<string, string> | undefined) };
    const signal = init.signal ?? undefined;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const req = http.request({ host: this.host, port: this.port, method: init.method ?? 'GET', path: url.pathname + url.search, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          signal?.removeEventListener('abort', abort);
          const answered = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) answered.set(name, Array.isArray(value) ? value.join(', ') : value);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: answered }));
        });
        res.on('error', reject);
      });
      const abort = () => req.destroy(signal?.reason as Error);
      signal?.addEventListener('abort', abort, { once: true });
      req.on('error', (err) => {
        signal?.removeEventListener('abort', abort);
        reject(err);
      });
      if (typeof init.body === 'string') req.write(init.body);
      req.end();
    });
  };

  close(): void {
    this.agent.destroy();
  }
}
