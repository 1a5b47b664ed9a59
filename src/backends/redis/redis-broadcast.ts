// Broadcast over Redis pub/sub. A subscribed ioredis connection can do nothing else, hence two connections.
// On a Redis Cluster a PUBLISH reaches the subscribers of every node.
import type { Broadcast } from '../broadcast-port.js';
import { connectRedis, createRedis, describeRedis, type RedisClient, type RedisTarget } from './redis-client.js';

export interface RedisBroadcastOptions {
  /** How long `subscribe` waits for Redis before resolving and retrying in the background. Default 5000 ms. */
  connectTimeoutMs?: number;
}

export class RedisBroadcast implements Broadcast {
  readonly description: string;
  private readonly pub: RedisClient;
  private readonly sub: RedisClient;
  private readonly timeoutMs: number;

  constructor(target: RedisTarget, private readonly channel: string, options: RedisBroadcastOptions = {}) {
    this.timeoutMs = options.connectTimeoutMs ?? 5000;
    this.pub = createRedis(target, { name: 'realmstate-broadcast-pub', connectTimeoutMs: this.timeoutMs });
    this.sub = createRedis(target, { name: 'realmstate-broadcast-sub', connectTimeoutMs: this.timeoutMs });
    this.description = `redis ${describeRedis(target)} channel ${channel}`;
  }

  async publish(message: string): Promise<void> {
    if (this.pub.status === 'wait') await connectRedis(this.pub, this.timeoutMs);
    await this.pub.publish(this.channel, message);
  }

  async subscribe(handler: (message: string) => void): Promise<void> {
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) handler(message);
    });
    // ioredis re-subscribes after a reconnect by itself, but only once a first SUBSCRIBE went through:
    // subscribing on every 'ready' also covers a Redis that was down at start-up (SUBSCRIBE twice is harmless).
    this.sub.on('ready', () => void this.sub.subscribe(this.channel).catch(() => {}));
    const [ready] = await Promise.all([connectRedis(this.sub, this.timeoutMs), connectRedis(this.pub, this.timeoutMs)]);
    if (ready) await this.sub.subscribe(this.channel);
  }

  async close(): Promise<void> {
    // disconnect() only half-closes the socket: messages already on their way would still arrive.
    this.sub.removeAllListeners('message');
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
