// Broadcast over NATS core pub/sub (at most once, nothing stored: JetStream is for the event stream, not this).
import type { NatsConnection, Subscription } from 'nats';
import type { Broadcast } from '../broadcast-port.js';

const FLUSH_TIMEOUT_MS = 2000;

export interface NatsBroadcastOptions {
  /** Close the connection when the broadcast closes (it was opened for this broadcast alone). Default false. */
  ownsConnection?: boolean;
}

export class NatsBroadcast implements Broadcast {
  readonly description: string;
  private subscription: Subscription | undefined;

  constructor(private readonly nc: NatsConnection, private readonly subject: string, private readonly options: NatsBroadcastOptions = {}) {
    this.description = `nats subject ${subject}`;
  }

  async publish(message: string): Promise<void> {
    this.nc.publish(this.subject, message);
    // While reconnecting, nats.js buffers the message and flush waits for the server: bound the wait, the message may still go.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`NATS did not confirm a publish to ${this.subject} within ${FLUSH_TIMEOUT_MS} ms`)), FLUSH_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.nc.flush(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async subscribe(handler: (message: string) => void): Promise<void> {
    this.subscription?.unsubscribe();
    this.subscription = this.nc.subscribe(this.subject, {
      callback: (err, msg) => {
        if (!err) handler(msg.string());
      },
    });
    // Once the server has seen the SUB, messages published after this resolves are delivered.
    await this.nc.flush();
  }

  async close(): Promise<void> {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    if (this.options.ownsConnection && !this.nc.isClosed()) await this.nc.close();
  }
}
