// One NATS connection per process, reconnecting forever; JetStream and core pub/sub share it.
// `url` may list several servers of a NATS cluster (comma-separated): the client connects to one of them and moves
// to another when it is lost (and learns the rest of the cluster from the server it reaches).
import { connect, type NatsConnection } from 'nats';

export interface NatsConnectOptions {
  name?: string;
  /** Wait this long for the first connection. Default 5000 ms. */
  timeoutMs?: number;
  /** Keep trying the first connection instead of failing (the promise resolves once connected). Default false. */
  waitOnFirstConnect?: boolean;
}

export async function connectNats(url: string, options: NatsConnectOptions = {}): Promise<NatsConnection> {
  return connect({
    servers: url.split(',').map((u) => u.trim()).filter((u) => u !== ''),
    name: options.name ?? 'realmstate',
    timeout: options.timeoutMs ?? 5000,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: options.waitOnFirstConnect ?? false,
  });
}
