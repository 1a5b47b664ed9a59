// Sliding windows in Redis: every instance of a fleet counts one player's writes in the same window.
import { randomUUID } from 'node:crypto';
import type { RateWindowStore, WindowAdd, WindowOutcome } from '../rate-window-port.js';
import { defineScripts } from './lua-scripts.js';
import { isCluster, type RedisClient } from './redis-client.js';

export class RedisRateWindows implements RateWindowStore {
  readonly description: string;
  private readonly call: ReturnType<typeof defineScripts>;

  constructor(private readonly client: RedisClient, private readonly keyPrefix: string, label: string) {
    this.call = defineScripts(client);
    this.description = `Redis ${label}`;
  }

  async add(request: WindowAdd, nowMs: number): Promise<WindowOutcome> {
    const key = this.key(request);
    const id = randomUUID();
    const [added, before] = (await this.call('rate-window', key, nowMs, request.windowMs, request.limit, request.amount, id, request.enforce ? '1' : '0')) as [number, string];
    return this.outcome(key, `${request.amount}:${id}`, added, before);
  }

  /**
   * On one Redis, every window of a write in one script call: each window as a call of its own cost about as much
   * client CPU in ioredis (command objects, encoding, reply parsing) as the rest of a sync append. A cluster spreads
   * the windows over its masters, so there each goes on its own.
   */
  async addAll(requests: readonly WindowAdd[], nowMs: number): Promise<WindowOutcome[]> {
    if (requests.length <= 1 || isCluster(this.client)) return Promise.all(requests.map((r) => this.add(r, nowMs)));
    const keys = requests.map((r) => this.key(r));
    const id = randomUUID();
    const args: Array<string | number> = [requests.length, ...keys, nowMs, id];
    for (const r of requests) args.push(r.windowMs, r.limit, r.amount, r.enforce ? '1' : '0');
    const reply = (await this.call('rate-windows', ...args)) as Array<number | string>;
    return requests.map((r, i) => this.outcome(keys[i] as string, `${r.amount}:${id}.${i + 1}`, reply[2 * i] as number, reply[2 * i + 1] as string));
  }

  private key(request: WindowAdd): string {
    return `${this.keyPrefix}ac:window:{${request.key}}`;
  }

  private outcome(key: string, member: string, added: number, before: string): WindowOutcome {
    return {
      added: added === 1,
      before: Number(before),
      undo: added === 1 ? async () => void (await this.client.zrem(key, member)) : async () => {},
    };
  }

  async close(): Promise<void> {}
}
