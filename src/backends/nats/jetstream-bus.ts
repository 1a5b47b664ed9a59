// NATS JetStream adapter of the event bus. Events go to `<prefix>.<type>` with the message id `<playerId>:<seq>`,
// so JetStream drops a republished event within its duplicate window. Consumers are durable pull consumers.
import { AckPolicy, DeliverPolicy, JSONCodec, nanos, RetentionPolicy, StorageType, type JetStreamClient, type StreamConfig, type JsMsg, type NatsConnection } from 'nats';
import type { ConsumeOptions, Consumer, EventBus, StreamEvent } from '../event-bus.js';
import { messageId } from '../event-bus.js';

export interface JetStreamBusOptions {
  stream: string;
  subjectPrefix: string;
  /** Window in which JetStream drops a repeated message id. Default 120000 ms. */
  duplicateWindowMs?: number;
  /** How long a publish waits for JetStream's acknowledgement. Default 5000 ms. */
  publishTimeoutMs?: number;
  /** Close the connection on close() (it was made for this bus). Default true. */
  ownsConnection?: boolean;
  /** Replicas of the stream on a NATS cluster (1, 3 or 5). An existing stream with another count is scaled to it. Default 1. */
  replicas?: number;
}

const codec = JSONCodec<StreamEvent>();

export class JetStreamBus implements EventBus {
  readonly kind = 'jetstream' as const;
  private readonly js: JetStreamClient;
  private readonly consumers = new Set<Consumer>();

  private constructor(private readonly nc: NatsConnection, private readonly options: Required<JetStreamBusOptions>) {
    this.js = nc.jetstream({ timeout: options.publishTimeoutMs });
  }

  /** Connects the bus and makes sure the stream exists (subjects `<prefix>.>`). */
  static async open(nc: NatsConnection, options: JetStreamBusOptions): Promise<JetStreamBus> {
    const full: Required<JetStreamBusOptions> = { duplicateWindowMs: 120_000, publishTimeoutMs: 5000, ownsConnection: true, replicas: 1, ...options };
    try {
      const jsm = await nc.jetstreamManager();
      const subjects = [`${full.subjectPrefix}.>`];
      let existing: StreamConfig | undefined;
      try {
        existing = (await jsm.streams.info(full.stream)).config;
      } catch {
        await jsm.streams.add({
          name: full.stream,
          subjects,
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          duplicate_window: nanos(full.duplicateWindowMs),
          num_replicas: full.replicas,
        });
      }
      // A cluster grown from one server: raise the stream's replicas to the configured count (JetStream moves the data).
      if (existing && (existing.num_replicas || 1) !== full.replicas) await jsm.streams.update(full.stream, { ...existing, num_replicas: full.replicas });
    } catch (err) {
      // Opened again on the next attempt: do not leave this connection reconnecting forever meanwhile.
      if (full.ownsConnection) await nc.close().catch(() => {});
      throw err;
    }
    return new JetStreamBus(nc, full);
  }

  subject(type: string): string {
    return `${this.options.subjectPrefix}.${type}`;
  }

  async publish(events: readonly StreamEvent[]): Promise<void> {
    // Pipelined on one connection: the server stores them in the order sent.
    const acks = events.map((event) =>
      this.js.publish(this.subject(event.type), codec.encode(event), { msgID: messageId(event), expect: { streamName: this.options.stream } }),
    );
    const settled = await Promise.allSettled(acks);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  async consume(name: string, handler: (events: StreamEvent[]) => Promise<void>, options: ConsumeOptions = {}): Promise<Consumer> {
    const jsm = await this.nc.jetstreamManager();
    await jsm.consumers.add(this.options.stream, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `${this.options.subjectPrefix}.>`,
      ack_wait: nanos(30_000),
      max_ack_pending: 20_000,
    });
    const consumer = await this.js.consumers.get(this.options.stream, name);
    const batchSize = options.batchSize ?? 256;
    let running = true;
    const loop = (async () => {
      while (running && !this.nc.isClosed()) {
        let msgs: JsMsg[] = [];
        try {
          const iter = await consumer.fetch({ max_messages: batchSize, expires: 1000 });
          for await (const m of iter) msgs.push(m);
        } catch (err) {
          options.onError?.(err);
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        if (msgs.length === 0) continue;
        // Retry the batch in hand until it is handled: naking it would let later events overtake it.
        for (let failures = 0; running; failures++) {
          try {
            await handler(msgs.map((m) => codec.decode(m.data)));
            for (const m of msgs) m.ack();
            msgs = [];
            break;
          } catch (err) {
            options.onError?.(err);
            for (const m of msgs) m.working();
            await new Promise((r) => setTimeout(r, Math.min(2000, 20 * 2 ** failures)));
          }
        }
        // Stopped with a batch unhandled: JetStream redelivers it after ack_wait.
      }
    })();
    const handle: Consumer = {
      stop: async () => {
        running = false;
        await loop;
        this.consumers.delete(handle);
      },
    };
    this.consumers.add(handle);
    return handle;
  }

  async ping(): Promise<void> {
    if (this.nc.isClosed()) throw new Error('NATS connection closed');
    await this.nc.flush();
  }

  describe(): string {
    return `NATS JetStream (stream ${this.options.stream}${this.options.replicas > 1 ? ` with ${this.options.replicas} replicas` : ''}, subjects ${this.options.subjectPrefix}.<type>)`;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    if (this.options.ownsConnection && !this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}
