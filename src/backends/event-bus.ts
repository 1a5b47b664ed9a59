// The event-stream port: the outbox relay publishes to it, projections consume from it.
// Adapters: NATS JetStream (nats/jetstream-bus.ts) and an in-process bus (memory/memory-bus.ts); one contract suite.

/** An event as it travels on the stream: subject `<prefix>.<type>`, message id `<playerId>:<seq>`. */
export interface StreamEvent {
  playerId: string;
  seq: number;
  type: string;
  data: unknown;
  recordedAt: string;
}

export function messageId(event: Pick<StreamEvent, 'playerId' | 'seq'>): string {
  return `${event.playerId}:${event.seq}`;
}

export interface ConsumeOptions {
  /** Most events handed to the handler at once. Default 256. */
  batchSize?: number;
  /** Called when the handler failed and the batch will be retried (logging, metrics). */
  onError?: (err: unknown) => void;
}

export interface Consumer {
  /** Stops fetching; resolves after the batch in hand is handled (or abandoned to redelivery). */
  stop(): Promise<void>;
}

export interface EventBus {
  readonly kind: 'jetstream' | 'memory';
  /**
   * Publishes in order and resolves when the stream has stored every event (an id it already has counts as stored).
   * Rejects if any was not stored; the caller publishes them again (the ids make that safe).
   */
  publish(events: readonly StreamEvent[]): Promise<void>;
  /**
   * A durable consumer named `name`: batches in stream order, at least once. A batch is acknowledged when `handler`
   * resolves; if it throws, the same batch is retried (with backoff) before anything after it, so order holds.
   */
  consume(name: string, handler: (events: StreamEvent[]) => Promise<void>, options?: ConsumeOptions): Promise<Consumer>;
  /** Resolves if the stream answers. */
  ping(): Promise<void>;
  describe(): string;
  close(): Promise<void>;
}
