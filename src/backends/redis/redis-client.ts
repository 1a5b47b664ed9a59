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

const connectionErrors = new WeakMap<Redis, Error>();

/**
 * Why a command failed, in words an operator can act on: while the client is disconnected ioredis answers
 * "Stream isn't writeable and enableOfflineQueue options is false"; this says the connection was refused (or how
 * it failed) instead.
 */
export function redisFailure(client: Redis, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!/Stream isn't writeable|Connection is closed/i.test(message)) return message;
  const cause = connectionErrors.get(client) as NodeJS.ErrnoException | undefined;
  if (cause?.code === 'ECONNREFUSED') return 'the connection was refused (is Redis running at that address?); reconnecting in the background';
  if (cause) return `not connected (${cause.code ?? cause.message}); reconnecting in the background`;
  return 'not connected; reconnecting in the background';
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
  // The last one is kept to say why a command failed (ioredis itself only says the stream is not writeable).
  client.on('error', (err: Error) => connectionErrors.set(client, err));
  client.on('ready', () => connectionErrors.delete(client));
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
