// Redis adapter of the shared token buckets: one key per bucket (`<prefix>rl:{<name>}`, a single key, so any Redis
// Cluster node may hold it) and one Lua script that takes from several buckets at once. On a single Redis the takes
// asked in one turn of the event loop go out as one script call, sent with the turn's other commands: a server that
// checks a different player's bucket for every request pays for one command per turn instead of one per request.
// On a Redis Cluster the buckets of one turn live on different nodes, so each take is its own call.
import type { SharedBucketStore } from '../shared-bucket-port.js';
import { defineScripts } from './lua-scripts.js';
import { isCluster, TurnBatcher, type RedisClient } from './redis-client.js';

type Taken = { granted: number; retryAfterMs: number };

interface PendingTake {
  key: string;
  perSecond: number;
  capacity: number;
  n: number;
  resolve: (taken: Taken) => void;
  reject: (err: unknown) => void;
}

/** Buckets per script call at most, so one call never holds Redis for long. */
const MAX_BUCKETS_PER_CALL = 128;

export class RedisTokenBuckets implements SharedBucketStore {
  private readonly call: (name: string, ...args: Array<string | number>) => Promise<unknown>;
  /** On a single Redis, the takes of one turn go out as one call per MAX_BUCKETS_PER_CALL takes. */
  private readonly takes: TurnBatcher<PendingTake> | undefined;

  constructor(client: RedisClient, private readonly options: { keyPrefix: string }) {
    this.call = defineScripts(client);
    this.takes = isCluster(client) ? undefined : new TurnBatcher(client, MAX_BUCKETS_PER_CALL, (batch) => this.answer(batch));
  }

  take(bucket: string, limits: { perSecond: number; capacity: number }, n: number): Promise<Taken> {
    const key = `${this.options.keyPrefix}rl:{${bucket}}`;
    return new Promise<Taken>((resolve, reject) => {
      const take: PendingTake = { key, perSecond: limits.perSecond, capacity: limits.capacity, n, resolve, reject };
      if (this.takes) this.takes.add(take);
      else this.answer([take]);
    });
  }

  /** One script call for the takes, in order; each is answered with its own bucket's outcome. */
  private answer(batch: readonly PendingTake[]): void {
    this.send(batch).then(
      (taken) => batch.forEach((t, i) => t.resolve(taken[i] as Taken)),
      (err: unknown) => batch.forEach((t) => t.reject(err)),
    );
  }

  private async send(takes: readonly PendingTake[]): Promise<Taken[]> {
    const args: Array<string | number> = [takes.length];
    for (const t of takes) args.push(t.key);
    for (const t of takes) args.push(t.perSecond, t.capacity, t.n);
    const reply = (await this.call('bucket-take', ...args)) as number[];
    return takes.map((_, i) => ({ granted: reply[2 * i] as number, retryAfterMs: reply[2 * i + 1] as number }));
  }
}
