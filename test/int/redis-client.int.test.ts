// The single-node Redis client hands the commands of one event-loop turn to the kernel in a few writes (one per
// DEFAULT_MAX_BATCH commands), and each command still gets its own reply (and its own error), in order.
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BATCH } from '../../src/backends/redis/index.js';
import { beforeFlush } from '../../src/backends/redis/redis-client.js';
import { openTestRedis, type TestRedis } from '../helpers/redis.js';

describe('Redis client (single node)', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await openTestRedis();
  });
  afterAll(async () => {
    await redis?.cleanup();
  });

  it('sends the commands of one turn in a write per batch, each with its own reply and error, in order', async () => {
    const key = `${redis.prefix}coalesce`;
    const writes = countWrites(redis.client);
    try {
      const sent = [
        ...Array.from({ length: 20 }, (_, i) => redis.client.rpush(key, `v${i}`)),
        redis.client.hget(key, 'wrong type').then(() => 'answered', (err: Error) => err.message),
        redis.client.lrange(key, 0, -1),
      ];
      const replies = await Promise.all(sent);
      expect(writes.count).toBe(Math.ceil(sent.length / DEFAULT_MAX_BATCH));
      expect(replies.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(replies[20]).toMatch(/WRONGTYPE/);
      expect(replies[21]).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));

      // A long turn: full batches go out as they fill, the rest at the end of the turn.
      writes.count = 0;
      const many = await Promise.all(Array.from({ length: 5 * DEFAULT_MAX_BATCH + 3 }, (_, i) => redis.client.echo(`e${i}`)));
      expect(many).toEqual(Array.from({ length: 5 * DEFAULT_MAX_BATCH + 3 }, (_, i) => `e${i}`));
      expect(writes.count).toBe(6);

      // Commands from several callbacks of one turn (as a server's requests read from several sockets) share a write.
      writes.count = 0;
      const fromCallbacks = await new Promise<unknown[]>((resolve) => {
        const sent: Array<Promise<unknown>> = [];
        for (let i = 0; i < 3; i++) setImmediate(() => sent.push(redis.client.echo(`t${i}`)));
        setImmediate(() => resolve(Promise.all(sent)));
      });
      expect(fromCallbacks).toEqual(['t0', 't1', 't2']);
      expect(writes.count).toBe(1);

      // Commands of later turns go out in writes of their own.
      writes.count = 0;
      await redis.client.llen(key);
      await redis.client.llen(key);
      expect(writes.count).toBe(2);
    } finally {
      writes.stop();
    }
  });

  it('runs a beforeFlush hook at the end of the turn, its commands in the same write as the turn\'s others', async () => {
    const writes = countWrites(redis.client);
    try {
      const order: string[] = [];
      // Two callbacks of one turn (as a server's requests read from two sockets): the hook the first one asks for
      // runs after both, and its command goes out with theirs.
      const replies = await new Promise<unknown[]>((resolve) => {
        const sent: Array<Promise<unknown>> = [];
        setImmediate(() => {
          sent.push(redis.client.echo('first'));
          beforeFlush(redis.client, () => {
            order.push('hook');
            sent.push(redis.client.echo('from the hook'));
            resolve(Promise.all(sent));
          });
          order.push('first callback');
        });
        setImmediate(() => {
          order.push('second callback');
          sent.push(redis.client.echo('later'));
        });
      });
      expect(order).toEqual(['first callback', 'second callback', 'hook']);
      expect(replies).toEqual(['first', 'later', 'from the hook']);
      expect(writes.count).toBe(1);

      // A hook alone starts a batch of its own.
      writes.count = 0;
      const alone = await new Promise<unknown>((resolve) => beforeFlush(redis.client, () => resolve(redis.client.echo('alone'))));
      expect(alone).toBe('alone');
      expect(writes.count).toBe(1);
    } finally {
      writes.stop();
    }
  });
});

/** Counts the writes (system calls) of the client's socket until stopped. */
function countWrites(client: TestRedis['client']): { count: number; stop: () => void } {
  const socket = client.stream as Socket & { _write: Socket['_write']; _writev: NonNullable<Socket['_writev']> };
  const write = socket._write;
  const writev = socket._writev;
  const counter = {
    count: 0,
    stop: () => {
      socket._write = write;
      socket._writev = writev;
    },
  };
  socket._write = function (...args) {
    counter.count++;
    return write.apply(this, args);
  };
  socket._writev = function (...args) {
    counter.count++;
    return writev.apply(this, args);
  };
  return counter;
}
