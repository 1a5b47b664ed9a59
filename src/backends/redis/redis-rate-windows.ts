// Sliding windows in Redis: every instance of a fleet counts one player's writes in the same window.
import { randomUUID } from 'node:crypto';
import type { RateWindowStore, WindowAdd, WindowOutcome } from '../rate-window-port.js';
import { defineScripts } from './lua-scripts.js';
import type { RedisClient } from './redis-client.js';

export class RedisRateWindows implements RateWindowStore {
  readonly description: string;
  private readonly call: ReturnType<typeof defineScripts>;

  constructor(private readonly client: RedisClient, private readonly keyPrefix: string, label: string) {
    this.call = defineScripts(client);
    this.description = `Redis ${label}`;
  }

  async add(request: WindowAdd, nowMs: number): Promise<WindowOutcome> {
    const key = `${this.keyPrefix}ac:window:{${request.key}}`;
    const id = randomUUID();
    const [added, before] = (await this.call('rate-window', key, nowMs, request.windowMs, request.limit, request.amount, id, request.enforce ? '1' : '0')) as [number, string];
    const member = `${request.amount}:${id}`;
    return {
      added: added === 1,
      before: Number(before),
      undo: added === 1 ? async () => void (await this.client.zrem(key, member)) : async () => {},
    };
  }

  async close(): Promise<void> {}
}
