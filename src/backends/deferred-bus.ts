// An event bus that becomes available later: the server starts (and keeps accepting appends, which fill the
// outbox) while the stream is still unreachable, and the relay and consumers start once it connects.
import type { ConsumeOptions, Consumer, EventBus, StreamEvent } from './event-bus.js';

export class DeferredBus implements EventBus {
  private bus: EventBus | undefined;
  private readonly ready: Promise<EventBus>;
  private closed = false;

  constructor(readonly kind: EventBus['kind'], private readonly label: string, open: () => Promise<EventBus>, onRetry: (err: unknown) => void) {
    this.ready = (async () => {
      for (let attempt = 0; ; attempt++) {
        if (this.closed) throw new Error('closed before the stream was reachable');
        try {
          this.bus = await open();
          return this.bus;
        } catch (err) {
          onRetry(err);
          await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
        }
      }
    })();
    this.ready.catch(() => {});
  }

  /** Resolves once connected (or rejects after close). */
  whenReady(): Promise<EventBus> {
    return this.ready;
  }

  async publish(events: readonly StreamEvent[]): Promise<void> {
    if (!this.bus) throw new Error(`${this.label} is not reachable yet`);
    return this.bus.publish(events);
  }

  async consume(name: string, handler: (events: StreamEvent[]) => Promise<void>, options?: ConsumeOptions): Promise<Consumer> {
    let inner: Consumer | undefined;
    let stopped = false;
    const started = this.ready.then(async (bus) => {
      if (!stopped) inner = await bus.consume(name, handler, options);
    });
    started.catch(() => {});
    return {
      stop: async () => {
        stopped = true;
        await started.catch(() => {});
        await inner?.stop();
      },
    };
  }

  async ping(): Promise<void> {
    if (!this.bus) throw new Error(`${this.label} is not reachable yet`);
    await this.bus.ping();
  }

  describe(): string {
    return this.bus ? this.bus.describe() : `${this.label} (connecting)`;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.bus?.close();
  }
}
