// One contract for every Broadcast adapter: in-process, Redis pub/sub and NATS core pub/sub (real servers).
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Broadcast } from '../../src/backends/broadcast-port.js';
import { MemoryBroadcastHub } from '../../src/backends/memory/memory-broadcast.js';
import { NatsBroadcast } from '../../src/backends/nats/nats-broadcast.js';
import { connectNats } from '../../src/backends/nats/nats-connection.js';
import { RedisBroadcast } from '../../src/backends/redis/redis-broadcast.js';
import { REDIS_URL, NATS_URL, waitFor } from '../helpers/wait.js';

type Factory = (channel: string) => Promise<Broadcast>;

const adapters: Array<[string, () => Factory]> = [
  [
    'memory',
    () => {
      const hubs = new Map<string, MemoryBroadcastHub>();
      return async (channel) => {
        if (!hubs.has(channel)) hubs.set(channel, new MemoryBroadcastHub());
        return (hubs.get(channel) as MemoryBroadcastHub).broadcast();
      };
    },
  ],
  ['redis', () => async (channel) => new RedisBroadcast(REDIS_URL, channel)],
  ['nats', () => async (channel) => new NatsBroadcast(await connectNats(NATS_URL), channel, { ownsConnection: true })],
];

describe.each(adapters)('broadcast contract: %s', (_name, makeFactory) => {
  const opened: Broadcast[] = [];
  const factory = makeFactory();
  const open = async (channel: string) => {
    const b = await factory(channel);
    opened.push(b);
    return b;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });

  it('delivers a message to every subscriber of the channel, the sender included', async () => {
    const channel = `test.${randomUUID()}`;
    const [a, b] = await Promise.all([open(channel), open(channel)]);
    const heardA: string[] = [];
    const heardB: string[] = [];
    await a.subscribe((m) => heardA.push(m));
    await b.subscribe((m) => heardB.push(m));
    await a.publish('one');
    await b.publish('two');
    await waitFor(() => heardA.length === 2 && heardB.length === 2);
    expect(heardA.sort()).toEqual(['one', 'two']);
    expect(heardB.sort()).toEqual(['one', 'two']);
  });

  it('keeps channels apart', async () => {
    const channel = `test.${randomUUID()}`;
    const [a, b, elsewhere] = await Promise.all([open(channel), open(channel), open(`test.${randomUUID()}`)]);
    const heardA: string[] = [];
    const heardElsewhere: string[] = [];
    await a.subscribe((m) => heardA.push(m));
    await elsewhere.subscribe((m) => heardElsewhere.push(m));
    await b.publish('for a');
    await elsewhere.publish('for elsewhere');
    await waitFor(() => heardA.length === 1 && heardElsewhere.length === 1);
    expect(heardA).toEqual(['for a']);
    expect(heardElsewhere).toEqual(['for elsewhere']);
  });

  it('stops delivering to a closed broadcast', async () => {
    const channel = `test.${randomUUID()}`;
    const [a, b, witness] = await Promise.all([open(channel), open(channel), open(channel)]);
    const heardA: string[] = [];
    const heardWitness: string[] = [];
    await a.subscribe((m) => heardA.push(m));
    await witness.subscribe((m) => heardWitness.push(m));
    await b.publish('first');
    await waitFor(() => heardA.length === 1 && heardWitness.length === 1);
    await a.close();
    await b.publish('second');
    await b.publish('third');
    // The witness on the same channel got both: had `a` still been subscribed, it would have too.
    await waitFor(() => heardWitness.length === 3);
    expect(heardA).toEqual(['first']);
  });
});
