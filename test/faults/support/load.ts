// A game-like load through the HTTP API: workers append to random players (each request carries a unique token)
// and read them back, recording what was acknowledged. `audit` compares that with the event logs afterwards.
import { randomUUID } from 'node:crypto';
import { getJson, headers } from '../../helpers/server-process.js';

export const QUICK = process.env.FAULTS_QUICK === '1';

export interface Ack {
  playerId: string;
  seq: number;
}

export class GameLoad {
  readonly acked = new Map<string, Ack>();
  readonly statuses = new Map<number | string, number>();
  /** The first few answers of each failing status, to say why a request failed. */
  readonly failures = new Map<number, string[]>();
  readonly players: string[];
  private running = false;
  private workers: Array<Promise<void>> = [];
  /** Called with each read: the seq read and the highest seq acknowledged for that player before the read began. */
  onRead: ((playerId: string, seqRead: number, ackedBefore: number) => void) | undefined;
  private readonly highestAck = new Map<string, number>();

  private readonly readUrl: () => string;

  /** `readUrl`: where reads go (default: the same server as the writes). */
  constructor(private readonly url: () => string, options: { players: number; prefix: string; readUrl?: () => string }) {
    this.players = Array.from({ length: options.players }, (_, i) => `${options.prefix}-${i}`);
    this.readUrl = options.readUrl ?? url;
  }

  start(workers = 16): void {
    this.running = true;
    this.workers = Array.from({ length: workers }, (_, w) => this.work(w));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  count(status: number | string): number {
    return this.statuses.get(status) ?? 0;
  }

  private note(status: number | string): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  private async work(w: number): Promise<void> {
    for (let i = 0; this.running; i++) {
      const playerId = this.players[(w * 7919 + i * 104729) % this.players.length] as string;
      try {
        if (i % 4 === 3) {
          const before = this.highestAck.get(playerId) ?? 0;
          const read = await getJson(`${this.readUrl()}/v1/players/${playerId}`);
          this.note(`read ${read.status}`);
          if (read.status === 200) this.onRead?.(playerId, read.body.seq as number, before);
          continue;
        }
        const token = randomUUID();
        const res = await fetch(`${this.url()}/v1/players/${playerId}/events`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ events: [{ type: 'stat.add', data: { stat: 'n', amount: 1 } }, { type: 'data.set', data: { key: 'token', value: token } }] }),
          signal: AbortSignal.timeout(15_000),
        });
        const body = (await res.json()) as { seq?: number };
        this.note(res.status);
        if (res.status !== 200) {
          const seen = this.failures.get(res.status) ?? [];
          if (seen.length < 5) this.failures.set(res.status, [...seen, JSON.stringify(body)]);
        }
        if (res.status === 200 && body.seq !== undefined) {
          this.acked.set(token, { playerId, seq: body.seq });
          this.highestAck.set(playerId, Math.max(this.highestAck.get(playerId) ?? 0, body.seq));
        }
      } catch {
        this.note('network');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

export interface Audit {
  acknowledged: number;
  found: number;
  lost: number;
  duplicated: number;
  /** Events in the logs whose request was never acknowledged (in flight at the fault): allowed. */
  unacknowledged: number;
}

/** Reads every player's log and counts acknowledged tokens found at their seq, missing, or applied twice. */
export async function audit(url: string, load: GameLoad): Promise<Audit> {
  const seen = new Map<string, number>();
  const at = new Map<string, Ack>();
  for (const playerId of load.players) {
    let after = 0;
    for (;;) {
      const page = await getJson(`${url}/v1/players/${playerId}/events?after=${after}&limit=1000`);
      if (page.status === 404) break;
      if (page.status !== 200) throw new Error(`events of ${playerId}: ${page.status} ${JSON.stringify(page.body)}`);
      const events = page.body.events as Array<{ seq: number; type: string; data: { key?: string; value?: unknown } }>;
      for (const e of events) {
        if (e.type !== 'data.set' || e.data.key !== 'token') continue;
        const token = String(e.data.value);
        seen.set(token, (seen.get(token) ?? 0) + 1);
        at.set(token, { playerId, seq: e.seq });
      }
      if (page.body.nextAfter === null) break;
      after = page.body.nextAfter as number;
    }
  }
  let found = 0;
  for (const [token, ack] of load.acked) {
    const where = at.get(token);
    if (where && where.playerId === ack.playerId && where.seq === ack.seq) found++;
  }
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  const unacknowledged = [...seen.keys()].filter((t) => !load.acked.has(t)).length;
  return { acknowledged: load.acked.size, found, lost: load.acked.size - found, duplicated, unacknowledged };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not reached in time');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
