// One contract for both event buses: the in-process bus and NATS JetStream.
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBus, StreamEvent } from '../../src/backends/event-bus.js';
import { MemoryBus } from '../../src/backends/memory/memory-bus.js';
import { JetStreamBus } from '../../src/backends/nats/jetstream-bus.js';
import { connectNats } from '../../src/backends/nats/nats-connection.js';
import { deleteStream, NATS_URL, uniqueStream } from '../helpers/nats.js';

interface Harness {
  bus: EventBus;
  cleanup: () => Promise<void>;
}

const factories: Record<string, () => Promise<Harness>> = {
  memory: async () => {
    const bus = new MemoryBus({ publishTimeoutMs: 2000 });
    return { bus, cleanup: () => bus.close() };
  },
  jetstream: async () => {
    const { stream, subjectPrefix } = uniqueStream();
    const bus = await JetStreamBus.open(await connectNats(NATS_URL), { stream, subjectPrefix });
    return { bus, cleanup: async () => { await bus.close(); await deleteStream(stream); } };
  },
};

const ev = (playerId: string, seq: number, type = 'stat.add'): StreamEvent => ({ playerId, seq, type, data: { stat: 'xp', amount: seq }, recordedAt: new Date(1_800_000_000_000 + seq).toISOString() });

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
}

describe.each(Object.keys(factories))('event bus contract: %s', (kind) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('delivers published events in order, dropping repeated ids', async () => {
    h = await factories[kind]!();
    const got: StreamEvent[] = [];
    const consumer = await h.bus.consume('c1', async (batch) => void got.push(...batch), { batchSize: 7 });
    const events = Array.from({ length: 50 }, (_, i) => ev(`p${i % 5}`, Math.floor(i / 5) + 1, i % 2 ? 'item.grant' : 'stat.add'));
    await h.bus.publish(events.slice(0, 30));
    await h.bus.publish(events.slice(20)); // 20..29 again
    await until(() => got.length >= 50);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(events);
    await consumer.stop();
  });

  it('lets a durable consumer resume where it stopped, without redelivering what it handled', async () => {
    h = await factories[kind]!();
    const first: StreamEvent[] = [];
    const c1 = await h.bus.consume('durable', async (batch) => void first.push(...batch));
    await h.bus.publish([ev('a', 1), ev('a', 2)]);
    await until(() => first.length === 2);
    await c1.stop();
    // Published while the consumer is stopped (the in-process bus then waits for nobody).
    await h.bus.publish([ev('a', 3)]);
    const second: StreamEvent[] = [];
    const c2 = await h.bus.consume('durable', async (batch) => void second.push(...batch));
    await until(() => second.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(second.map((e) => e.seq)).toEqual([3]);
    await c2.stop();
  });

  it('retries a failing batch before anything after it', async () => {
    h = await factories[kind]!();
    const got: number[] = [];
    let failures = 0;
    const consumer = await h.bus.consume('flaky', async (batch) => {
      if (batch.some((e) => e.seq === 2) && failures < 3) {
        failures++;
        throw new Error('not yet');
      }
      got.push(...batch.map((e) => e.seq));
    }, { batchSize: 1 });
    const publishing = h.bus.publish([ev('x', 1), ev('x', 2), ev('x', 3)]);
    await until(() => got.length === 3);
    await publishing;
    expect(got).toEqual([1, 2, 3]);
    expect(failures).toBe(3);
    await consumer.stop();
  });
});
