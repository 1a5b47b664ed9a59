// Redis may be down when an instance starts, or go down later: announcements resume once it is back,
// without a restart (the shared Redis stays up; a TCP proxy plays the outage).
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisBroadcast } from '../../src/backends/redis/redis-broadcast.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { REDIS_URL, waitFor } from '../helpers/wait.js';

describe('Redis broadcast through an outage', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('subscribes once Redis comes up, and again after it went away', async () => {
    const channel = `test-${randomUUID()}:config`;
    const proxy = await new TcpProxy('127.0.0.1', 6379).start();
    cleanup.push(() => proxy.cut());
    await proxy.cut();

    const behindProxy = new RedisBroadcast(`redis://127.0.0.1:${proxy.port}`, channel, { connectTimeoutMs: 300 });
    cleanup.push(() => behindProxy.close());
    const heard: string[] = [];
    await behindProxy.subscribe((m) => heard.push(m)); // gives up waiting, keeps trying
    await expect(behindProxy.publish('while down')).rejects.toThrow();

    const direct = new RedisBroadcast(REDIS_URL, channel);
    cleanup.push(() => direct.close());
    await direct.subscribe(() => {});

    await proxy.restore();
    await waitFor(async () => (await direct.publish('after start'), heard.includes('after start')), 'subscription after a start-up outage');

    await proxy.cut();
    await proxy.restore();
    await waitFor(async () => (await direct.publish('after outage'), heard.includes('after outage')), 'subscription after an outage');
    await waitFor(async () => behindProxy.publish('own').then(() => heard.includes('own'), () => false), 'publishing after an outage');
  });
});
