// A fire-and-forget broadcast to every instance of a deployment (Redis pub/sub, NATS core pub/sub, or in-process).
// Nothing is stored: a message sent while an instance is disconnected is lost to it, so a message should only
// ever be a hint ("look again") that the receiver checks against its own source of truth.

export interface Broadcast {
  /** Where messages go, without secrets, for the start-up line. */
  readonly description: string;
  /** Sends to every subscriber, this process's own included. Rejects when the backend cannot take it now. */
  publish(message: string): Promise<void>;
  /** Delivers every later message to `handler`; resolves once subscribed (or once it gave up waiting and keeps trying in the background). */
  subscribe(handler: (message: string) => void): Promise<void>;
  /** Unsubscribes and releases the connections this broadcast opened. */
  close(): Promise<void>;
}
