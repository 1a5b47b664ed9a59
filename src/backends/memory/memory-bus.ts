// In-process adapter of the event bus, for `npm start` without NATS. It keeps a log in memory with a cursor per
// durable consumer. `publish` resolves only once every registered consumer has handled the events, so the outbox
// rows (the durable copy) are deleted only after the projections ran: a crash before that republishes them.
import type { ConsumeOptions, Consumer, EventBus, StreamEvent } from '../event-bus.js';
import { messageId } from '../event-bus.js';

export interface MemoryBusOptions {
  /** How long a message id is remembered to drop duplicates. Default 120000 ms (as JetStream). */
  duplicateWindowMs?: number;
  /** Events kept for consumers that join later. Default 10000. */
  retain?: number;
  /** How long `publish` waits for the consumers before failing. Default 30000 ms. */
  publishTimeoutMs?: number;
}

/** Ids remembered for de-duplication at most (bounds memory at high event rates). */
const MAX_REMEMBERED_IDS = 200_000;

interface ConsumerState {
  name: string;
  /** Offset of the next event to hand over. */
  cursor: number;
  handler: (events: StreamEvent[]) => Promise<void>;
  batchSize: number;
  onError: ((err: unknown) => void) | undefined;
  running: boolean;
  stopped: boolean;
  wake: (() => void) | undefined;
  idle: Promise<void>;
}

export class MemoryBus implements EventBus {
  readonly kind = 'memory' as const;
  private log: StreamEvent[] = [];
  /** Offset of log[0]. */
  private base = 0;
  private readonly seen = new Map<string, number>();
  private readonly consumers = new Map<string, ConsumerState>();
  private waiters: Array<{ offset: number; resolve: () => void }> = [];
  private readonly options: Required<MemoryBusOptions>;
  private closed = false;

  constructor(options: MemoryBusOptions = {}) {
    this.options = { duplicateWindowMs: 120_000, retain: 10_000, publishTimeoutMs: 30_000, ...options };
  }

  private get end(): number {
    return this.base + this.log.length;
  }

  async publish(events: readonly StreamEvent[]): Promise<void> {
    if (this.closed) throw new Error('the in-process bus is closed');
    const now = Date.now();
    for (const [id, at] of this.seen) {
      // Oldest first (insertion order): stop at the first id still inside the window, unless the map is too big.
      if (now - at < this.options.duplicateWindowMs && this.seen.size <= MAX_REMEMBERED_IDS) break;
      this.seen.delete(id);
    }
    for (const event of events) {
      const id = messageId(event);
      if (this.seen.has(id)) continue;
      this.seen.set(id, now);
      this.log.push(structuredClone(event));
    }
    const target = this.end;
    for (const c of this.consumers.values()) c.wake?.();
    if (this.consumers.size > 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('in-process consumers did not handle the events in time')), this.options.publishTimeoutMs);
        this.waiters.push({ offset: target, resolve: () => (clearTimeout(timer), resolve()) });
        this.settleWaiters();
      });
    }
    this.trim();
  }

  async consume(name: string, handler: (events: StreamEvent[]) => Promise<void>, options: ConsumeOptions = {}): Promise<Consumer> {
    const existing = this.consumers.get(name);
    if (existing && !existing.stopped) throw new Error(`consumer ${name} is already running`);
    const state: ConsumerState = {
      name,
      // A durable consumer that ran before resumes where it stopped; a new one starts at the oldest retained event.
      cursor: existing?.cursor ?? this.base,
      handler,
      batchSize: options.batchSize ?? 256,
      onError: options.onError,
      running: true,
      stopped: false,
      wake: undefined,
      idle: Promise.resolve(),
    };
    this.consumers.set(name, state);
    state.idle = this.loop(state);
    return {
      stop: async () => {
        state.running = false;
        state.wake?.();
        await state.idle;
        state.stopped = true;
        this.settleWaiters();
      },
    };
  }

  private async loop(c: ConsumerState): Promise<void> {
    let failures = 0;
    while (c.running) {
      if (c.cursor >= this.end) {
        await new Promise<void>((resolve) => (c.wake = resolve));
        c.wake = undefined;
        continue;
      }
      const from = Math.max(c.cursor, this.base);
      const batch = this.log.slice(from - this.base, from - this.base + c.batchSize).map((e) => structuredClone(e));
      try {
        await c.handler(batch);
        failures = 0;
        c.cursor = from + batch.length;
        this.settleWaiters();
      } catch (err) {
        failures++;
        c.onError?.(err);
        await new Promise((r) => setTimeout(r, Math.min(2000, 20 * 2 ** failures)));
      }
    }
  }

  /** Resolves publishes whose events every running consumer has passed. */
  private settleWaiters(): void {
    const active = [...this.consumers.values()].filter((c) => !c.stopped && c.running);
    const floor = active.length === 0 ? Infinity : Math.min(...active.map((c) => c.cursor));
    const ready = this.waiters.filter((w) => w.offset <= floor);
    this.waiters = this.waiters.filter((w) => w.offset > floor);
    for (const w of ready) w.resolve();
  }

  private trim(): void {
    const floor = Math.min(this.end, ...[...this.consumers.values()].map((c) => c.cursor));
    const keepFrom = Math.max(Math.min(floor, this.end - this.options.retain), this.base);
    if (keepFrom > this.base) {
      this.log = this.log.slice(keepFrom - this.base);
      this.base = keepFrom;
    }
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('closed');
  }

  describe(): string {
    return 'in-process bus';
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers.values()].map(async (c) => {
      c.running = false;
      c.wake?.();
      await c.idle;
    }));
  }
}
