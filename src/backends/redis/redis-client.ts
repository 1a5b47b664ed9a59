// ioredis clients set up to fail fast: while Redis is unreachable a command errors at once (no offline queue)
// so callers fall back or answer 503, and the client keeps reconnecting in the background.
import { Redis } from 'ioredis';
import { redact } from '../../settings.js';

export interface RedisClientOptions {
  /** Shown in logs and errors. Default: the URL without password. */
  name?: string;
  /** How long to wait for the first connection before giving up on start-up. Default 5000 ms. */
  connectTimeoutMs?: number;
}

export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const client = new Redis(url, {
    connectionName: options.name ?? 'realmstate',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    lazyConnect: true,
  });
  // Errors surface on the commands; without a listener ioredis would log every reconnect attempt as unhandled.
  client.on('error', () => {});
  return client;
}

/** Connects; resolves false (leaving the client reconnecting in the background) if Redis does not answer in time. */
export async function connectRedis(client: Redis, timeoutMs = 5000): Promise<boolean> {
  if (client.status === 'ready') return true;
  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (client.status === 'wait') client.connect().catch(() => {});
  return ready;
}

export function describeRedis(url: string): string {
  return redact(url);
}
