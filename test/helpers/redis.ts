// Redis for tests: the machine's shared Redis, each test in its own key prefix, whose keys are deleted afterwards
// (never FLUSHALL/FLUSHDB: other tests and engineers share the server).
import { randomUUID } from 'node:crypto';
import { Command, type Redis } from 'ioredis';
import { connectRedis, createRedisClient } from '../../src/backends/redis/index.js';

export const REDIS_TEST_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function redisUrl(db = 0): string {
  const url = new URL(REDIS_TEST_URL);
  url.pathname = `/${db}`;
  return url.toString();
}

export interface TestRedis {
  client: Redis;
  prefix: string;
  /** Deletes every key of the prefix (the test's "Redis lost everything"). */
  deleteKeys: () => Promise<number>;
  /** Deletes the keys and closes the client. */
  cleanup: () => Promise<void>;
}

export function uniquePrefix(): string {
  return `test-${randomUUID()}:`;
}

export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

export async function openTestRedis(options: { db?: number; prefix?: string } = {}): Promise<TestRedis> {
  const client = createRedisClient(redisUrl(options.db ?? 0), { name: 'realmstate-test' });
  if (!(await connectRedis(client))) throw new Error(`test Redis at ${redisUrl(options.db ?? 0)} does not answer`);
  const prefix = options.prefix ?? uniquePrefix();
  return {
    client,
    prefix,
    deleteKeys: () => deleteKeysWithPrefix(client, prefix),
    cleanup: async () => {
      await deleteKeysWithPrefix(client, prefix);
      await client.quit();
    },
  };
}

/** Deletes every key of `prefix` with a client of its own. */
export async function deleteKeys(prefix: string): Promise<void> {
  const client = createRedisClient(REDIS_TEST_URL, { name: 'realmstate-test' });
  try {
    await connectRedis(client);
    await deleteKeysWithPrefix(client, prefix);
  } finally {
    client.disconnect();
  }
}

/** Counts the script calls (EVAL, EVALSHA) `client` sends while `run` runs. */
export async function countScriptCalls<T>(client: Redis, run: () => Promise<T>): Promise<{ result: T; calls: number }> {
  const send = client.sendCommand.bind(client);
  let calls = 0;
  client.sendCommand = (command, stream) => {
    if (command instanceof Command && /^eval/i.test(command.name)) calls++;
    return send(command, stream);
  };
  try {
    return { result: await run(), calls };
  } finally {
    client.sendCommand = send;
  }
}
