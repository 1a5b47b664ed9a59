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

  close(): void {
    this.agent.destroy();
  }
}
