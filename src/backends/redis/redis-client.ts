// ioredis clients set up to fail fast: while Redis is unreachable a command errors at once (no offline queue)
// so callers fall back or answer 503, and the client keeps reconnecting in the background.
// A target is one Redis (a URL) or a Redis Cluster (its seed nodes); the cluster client follows MOVED and ASK
// redirections itself and retries TRYAGAIN, so a resharding of the cluster is invisible to the callers.
import type { Socket } from 'node:net';
import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import { redact } from '../../settings.js';

/** A single Redis or a Redis Cluster: the commands Realmstate uses exist on both. */
export type RedisClient = Redis | Cluster;

/** One Redis by URL, or a Redis Cluster by its seed nodes (`host:port` or `redis://[user:pass@]host:port`). */
export type RedisTarget = string | { clusterNodes: readonly string[] };

export interface RedisClientOptions {
  /** Shown in logs and errors. Default: the URL without password. */
  name?: string;
  /** How long to wait for the first connection before giving up on start-up. Default 5000 ms. */
  connectTimeoutMs?: number;
}

const connectionErrors = new WeakMap<RedisClient, Error>();

/**
 * Why a command failed, in words an operator can act on: while the client is disconnected ioredis answers
 * "Stream isn't writeable and enableOfflineQueue options is false"; this says the connection was refused (or how
 * it failed) instead.
 */
export function redisFailure(client: RedisClient, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!/Stream isn't writeable|Connection is closed/i.test(message)) return message;
  const cause = connectionErrors.get(client) as NodeJS.ErrnoException | undefined;
  if (cause?.code === 'ECONNREFUSED') return 'the connection was refused (is Redis running at that address?); reconnecting in the background';
  if (cause) return `not connected (${cause.code ?? cause.message}); reconnecting in the background`;
  return 'not connected; reconnecting in the background';
}
/** Commands handed to the kernel at once by CoalescingRedis at most. */
export const DEFAULT_MAX_BATCH = 16;

const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000);

/**
 * A single-node client that hands the commands sent in one turn of the event loop to the kernel in one write: the
 * socket is corked at the first command and uncorked once the turn has run all its I/O callbacks (setImmediate runs
 * after them), so the requests a server reads from many sockets in one turn share one write to Redis. Under
 * concurrency, the write system call (which on loopback also runs the receiver's TCP processing) was the largest cost
 * of a command, for the client and for Redis, which then reads and answers the whole batch at once. Uncorking at
 * process.nextTick instead (after the current callback only) gave each HTTP request a write of its own: cache reads
 * at 64 connections measured 0.45x an empty route with it and 0.78x with setImmediate, in paired runs of
 * bench/scenarios/read-path.ts. Unlike ioredis' auto-pipelining, which keeps one batch in flight at a time and
 * measured at half the throughput here (bench/scenarios/lb-submit.ts), every command still goes out in the turn it was
 * sent, in order, on the one connection: replies, errors and timings per command are unchanged.
 * A turn that sends many commands hands them over every `maxBatch` commands rather than all at its end, so Redis
 * starts on the first ones while this process is still working through the rest of the turn (replies of the last
 * batch, the next requests): with one batch per turn, the two sides took turns being idle. Measured with 64 callers
 * on one connection (bench/scenarios/lb-submit.ts): the library went from 0.66x to 0.94x of raw ZADD with 16.
 * Commands of one turn go out in the order they were sent either way, and each gets its own reply and error.
 */
export class CoalescingRedis extends Redis {
  private corked: Socket | undefined;
  /** Commands written into the current batch. */
  private inBatch = 0;
  private readonly maxBatch: number;
  /** Run at the end of the turn, before its commands go out (see beforeFlush). */
  private flushHooks: Array<() => void> = [];
  private readonly uncork = () => {
    try {
      while (this.flushHooks.length > 0) {
        const hooks = this.flushHooks;
        this.flushHooks = [];
        for (const hook of hooks) hook();
      }
    } finally {
      // Whatever a hook did, the turn's commands go out: a socket left corked would hold every later command.
      const socket = this.corked;
      this.corked = undefined;
      socket?.uncork();
    }
  };

  constructor(url: string, options: RedisOptions & { maxBatch?: number }) {
    const { maxBatch = DEFAULT_MAX_BATCH, ...redisOptions } = options;
    super(url, redisOptions);
    this.maxBatch = maxBatch;
  }

  /**
   * Runs `fn` once this turn of the event loop has run its I/O callbacks, right before the turn's commands are handed
   * to the kernel: the commands it sends go out with them. For callers that gather the requests of a turn into one
   * command. While disconnected, `fn` simply runs after the turn's I/O callbacks.
   */
  beforeFlush(fn: () => void): void {
    const socket = this.stream as Socket | undefined;
    if (socket?.writable !== true) {
      setImmediate(fn);
      return;
    }
    if (this.corked === undefined) this.startBatch(socket);
    this.flushHooks.push(fn);
  }

  /** Hands the commands sent so far in this turn to the kernel now; the turn's later commands batch on. */
  flushNow(): void {
    const socket = this.corked;
    if (!socket) return;
    socket.uncork();
    socket.cork();
    this.inBatch = 0;
  }

  private startBatch(socket: Socket): void {
    socket.cork();
    this.corked = socket;
    this.inBatch = 0;
    setImmediate(this.uncork);
  }

  override sendCommand(...args: Parameters<Redis['sendCommand']>): ReturnType<Redis['sendCommand']> {
    // A command written to another stream (a pipeline's, a MULTI's) batches itself.
    const socket = this.stream as Socket | undefined;
    if (args[1] === undefined && socket?.writable === true) {
      if (this.corked === undefined) {
        this.startBatch(socket);
      } else if (++this.inBatch >= this.maxBatch && this.corked === socket) {
        // This batch is full: out it goes, and the next one starts with this command.
        socket.uncork();
        socket.cork();
        this.inBatch = 0;
      }
    }
    return super.sendCommand(...args);
  }
}

/**
 * Runs `fn` at the end of this turn of the event loop, before the client's commands of the turn go out when it
 * batches them (CoalescingRedis), so what `fn` sends joins them; on other clients after the turn's I/O callbacks.
 */
export function beforeFlush(client: RedisClient, fn: () => void): void {
  if (client instanceof CoalescingRedis) client.beforeFlush(fn);
  else setImmediate(fn);
}

/** Hands the client's commands of this turn to the kernel now, when it batches them (CoalescingRedis). */
export function flushNow(client: RedisClient): void {
  if (client instanceof CoalescingRedis) client.flushNow();
}

/**
 * Gathers the requests of one turn of the event loop into calls of at most `perCall` requests: a full call is sent at
 * once and handed to the kernel, so Redis works on it while the turn goes on; the rest is sent right before the
 * turn's other commands go out (see beforeFlush). Requests reach `send` in the order they were added. `send` must not
 * throw: it answers its requests itself, errors included.
 */
export class TurnBatcher<T> {
  private pending: T[] = [];

  constructor(private readonly client: RedisClient, private readonly perCall: number, private readonly send: (batch: T[]) => void) {}

  add(request: T): void {
    const pending = this.pending;
    pending.push(request);
    if (pending.length === 1) beforeFlush(this.client, this.flush);
    else if (pending.length === this.perCall) {
      this.pending = [];
      this.send(pending);
      flushNow(this.client);
    }
  }

  private readonly flush = (): void => {
    const rest = this.pending;
    this.pending = [];
    if (rest.length > 0) this.send(rest);
  };
}

export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const client = new CoalescingRedis(url, {
    connectionName: options.name ?? 'realmstate',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    retryStrategy,
    lazyConnect: true,
  });
  // Errors surface on the commands; without a listener ioredis would log every reconnect attempt as unhandled.
  // The last one is kept to say why a command failed (ioredis itself only says the stream is not writeable).
  client.on('error', (err: Error) => connectionErrors.set(client, err));
  client.on('ready', () => connectionErrors.delete(client));
  return client;
}

/** Parses one seed node of REDIS_CLUSTER_NODES; credentials, if any, apply to every node. */
export function parseClusterNode(raw: string): { node: ClusterNode & { host: string; port: number }; username?: string; password?: string } | undefined {
  const text = raw.includes('://') ? raw : `redis://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return undefined;
  const port = Number(url.port || '6379');
  if (url.hostname === '' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return {
    node: { host: url.hostname.replace(/^\[|\]$/g, ''), port },
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}

export function createRedisCluster(nodes: readonly string[], options: RedisClientOptions = {}): Cluster {
  const parsed = nodes.map((n) => {
    const p = parseClusterNode(n);
    if (!p) throw new Error(`not a Redis Cluster node: ${redact(n)}`);
    return p;
  });
  const credentials = parsed.find((p) => p.password !== undefined);
  const client = new Cluster(parsed.map((p) => p.node), {
    lazyConnect: true,
    enableOfflineQueue: false,
    // No auto-pipelining: ioredis retries a MOVED, ASK or TRYAGAIN reply only when every command of its pipeline got
    // the same one, so a script batched with a successful write would fail during a resharding of the cluster.
    enableAutoPipelining: false,
    clusterRetryStrategy: retryStrategy,
    // TRYAGAIN (a script whose keys are split between two masters mid-migration) is retried every 100 ms, up to 5 s.
    maxRedirections: 50,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: options.connectTimeoutMs ?? 5000,
    redisOptions: {
      connectionName: options.name ?? 'realmstate',
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? 5000,
      username: credentials?.username,
      password: credentials?.password,
    },
  });
  client.on('error', (err: Error) => connectionErrors.set(client, err));
  client.on('ready', () => connectionErrors.delete(client));
  return client;
}

/** A client for the target: a Redis, or a Redis Cluster. */
export function createRedis(target: RedisTarget, options: RedisClientOptions = {}): RedisClient {
  return typeof target === 'string' ? createRedisClient(target, options) : createRedisCluster(target.clusterNodes, options);
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** Connects; resolves false (leaving the client reconnecting in the background) if Redis does not answer in time. */
export async function connectRedis(client: RedisClient, timeoutMs = 5000): Promise<boolean> {
  if (client.status === 'ready') return true;
  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (client.status === 'wait') client.connect().catch(() => {});
  return ready;
}

export function describeRedis(target: RedisTarget): string {
  if (typeof target === 'string') return redact(target);
  return `cluster ${target.clusterNodes.map((n) => { const p = parseClusterNode(n); return p ? `${p.node.host}:${p.node.port}` : '?'; }).join(',')}`;
}
