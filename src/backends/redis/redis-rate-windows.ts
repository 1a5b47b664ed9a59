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

  add(request: WindowAdd, nowMs: number): Promise<WindowOutcome> {
    return this.call1([request], nowMs).then((outcomes) => outcomes[0] as WindowOutcome);
  }

  /**
   * On one Redis, every window of a write in one script call: each window as a call of its own cost about as much
   * client CPU in ioredis (command objects, encoding, reply parsing) as the rest of a sync append. A cluster spreads
   * the windows over its masters, so there each goes on its own.
   */
  async addAll(requests: readonly WindowAdd[], nowMs: number): Promise<WindowOutcome[]> {
    if (requests.length <= 1 || !isCluster(this.client)) return this.call1(requests, nowMs);
    return (await Promise.all(requests.map((r) => this.call1([r], nowMs)))).flat();
  }

  /** One call of rate-windows-n.lua for these windows (all in one slot, or one Redis). */
  private async call1(requests: readonly WindowAdd[], nowMs: number): Promise<WindowOutcome[]> {
    if (requests.length === 0) return [];
    const keys: string[] = [];
    for (const r of requests) {
      const key = `${this.keyPrefix}ac:window:{${r.key}}`;
      keys.push(key, `${key}:sum`);
    }
    const id = randomUUID();
    const args: Array<string | number> = [keys.length, ...keys, nowMs, id];
    for (const r of requests) args.push(r.windowMs, r.limit, r.amount, r.enforce ? '1' : '0');
    const reply = (await this.call('rate-windows', ...args)) as Array<number | string>;
    return requests.map((r, i) => {
      const added = reply[2 * i] === 1;
      const member = `${r.amount}:${id}.${i + 1}`;
      const [key, figures] = [keys[2 * i] as string, keys[2 * i + 1] as string];
      return {
        added,
        before: Number(reply[2 * i + 1]),
        undo: added ? async () => void (await this.call('rate-window-undo', key, figures, member, r.amount)) : async () => {},
      };
    });
  }

  async close(): Promise<void> {}
}
