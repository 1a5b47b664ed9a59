// The admin overview: this instance's live figures that no other route gives (requests per second, p99 latency,
// outbox lag, write-behind pending), read from its own metrics so the console need not parse Prometheus text.
import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import { z } from 'zod';
import type { Realm } from '../../realm.js';
import { defineRoute } from '../route-spec.js';

// What the route answers: the OpenAPI document and the typed client are made from this.
export const overviewSchema = z.object({
  at: z.iso.datetime(),
  uptimeSeconds: z.number(),
  requests: z.object({
    total: z.number().int().describe('requests answered since the process started'),
    perSecond: z.number().describe('requests answered per second over the window'),
    p99Ms: z.number().nullable().describe('99th percentile latency over the window (interpolated within its histogram bucket); null without requests'),
    windowSeconds: z.number().describe('the window: since an earlier overview call about 30 s back (or the last one, after a pause), or since the start on the first call'),
  }),
  outbox: z.object({ lagRows: z.number().int().describe('rows not yet published, all shards'), lagSeconds: z.number().describe('age of the oldest unpublished row') }),
  writeBehind: z.object({ pending: z.number().int().describe('players whose row waits for the write-behind flush') }),
  appendQueue: z.number().int().describe('events applied in memory and not yet committed'),
  activePlayers: z.number().int().describe('players held in memory'),
  config: z.object({ version: z.number().int(), hash: z.string() }),
  shards: z
    .array(z.object({ index: z.number().int(), label: z.string(), players: z.number().int().nullable().describe('rows of its players table; null when the shard did not answer') }))
    .describe("each shard database (by its position in DATABASE_URLS) and its players: counted, or PostgreSQL's estimate above 100000 rows; refreshed every 15 s at most"),
});

interface Sample {
  at: number;
  total: number;
  /** Cumulative request count per latency bucket bound (seconds), summed over routes. */
  buckets: Map<number, number>;
}

/** How far back the window reaches when the overview is polled. */
const WINDOW_MS = 30_000;

async function sample(histogram: Histogram<'route' | 'method'>): Promise<Sample> {
  const buckets = new Map<number, number>();
  let total = 0;
  for (const v of (await histogram.get()).values) {
    if (v.metricName?.endsWith('_bucket')) {
      const bound = (v.labels as Record<string, string | number | undefined>).le;
      const le = bound === '+Inf' ? Infinity : Number(bound);
      buckets.set(le, (buckets.get(le) ?? 0) + v.value);
    } else if (v.metricName?.endsWith('_count')) total += v.value;
  }
  return { at: Date.now(), total, buckets };
}

/** The q-quantile of the requests between two samples, interpolated linearly inside its bucket (as Prometheus does). */
export function quantileBetween(from: Sample | undefined, to: Sample, q: number): number | null {
  const bounds = [...to.buckets.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => (to.buckets.get(le) ?? 0) - (from?.buckets.get(le) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const le = bounds[i] as number;
    const count = counts[i] as number;
    if (count >= rank) {
      // Past the last finite bound nothing is known but that bound.
      if (le === Infinity) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(count - below, 1e-9);
    }
    lower = le;
    below = count;
  }
  return lower;
}

const sum = async (gauge: { get(): Promise<{ values: Array<{ value: number }> }> }): Promise<number> =>
  (await gauge.get()).values.reduce((s, v) => s + v.value, 0);
const max = async (gauge: { get(): Promise<{ values: Array<{ value: number }> }> }): Promise<number> =>
  (await gauge.get()).values.reduce((m, v) => Math.max(m, v.value), 0);

/** How long a shard's player count is reused: counting is not free on a big table. */
const PLAYER_COUNT_TTL_MS = 15_000;

/**
 * An exact count while the table is small (cheap), PostgreSQL's estimate (its last ANALYZE, by hand or by autovacuum)
 * once that says it is big. A table never analyzed has -1: counted.
 */
const PLAYER_COUNT_SQL = `SELECT CASE WHEN c.reltuples > 100000 THEN c.reltuples::bigint ELSE (SELECT count(*) FROM players) END AS n
  FROM pg_class c WHERE c.oid = to_regclass('players')`;

function playerCounts(realm: Realm): () => Promise<Array<{ index: number; label: string; players: number | null }>> {
  let cached: { at: number; value: Promise<Array<{ index: number; label: string; players: number | null }>> } | undefined;
  return () => {
    if (cached && Date.now() - cached.at < PLAYER_COUNT_TTL_MS) return cached.value;
    const value = Promise.all(
      realm.sql.shards.map(async (shard) => {
        // A shard that is down (or slow to say so) is shown as such rather than holding the whole overview.
        const count = shard.query<{ n: number | string }>(PLAYER_COUNT_SQL).then((rows) => (rows[0] === undefined ? 0 : Number(rows[0].n)));
        const players = await Promise.race([count, new Promise<null>((resolve) => setTimeout(resolve, 2000, null).unref())]).catch(() => null);
        return { index: shard.index, label: shard.label, players };
      }),
    );
    cached = { at: Date.now(), value };
    return value;
  };
}

export function overviewRoutes(app: FastifyInstance, realm: Realm): void {
  const startedAt = Date.now();
  const shardPlayers = playerCounts(realm);
  // Samples of recent calls, oldest first; a window is measured from the oldest one.
  const samples: Sample[] = [];

  defineRoute(app, {
    method: 'GET',
    url: '/v1/admin/overview',
    operationId: 'getOverview',
    summary: "(admin) This instance's live figures: requests per second and p99 latency, outbox lag, write-behind pending, config version",
    tag: 'operations',
    access: 'admin',
    errors: [401, 403],
    responses: { 200: overviewSchema },
    handler: async () => {
      const m = realm.metrics;
      const now = await sample(m.httpDuration);
      // Keep at most one sample older than the window: the window then reaches just past WINDOW_MS while polled.
      while (samples.length > 1 && (samples[1] as Sample).at <= now.at - WINDOW_MS) samples.shift();
      const base = samples[0];
      const from = base?.at ?? startedAt;
      samples.push(now);
      // Many consoles polling at once: a bounded list still spans the window roughly.
      if (samples.length > 1000) samples.splice(1, samples.length - 1000);
      const windowSeconds = Math.max((now.at - from) / 1000, 0.001);
      const p99 = quantileBetween(base, now, 0.99);
      const config = realm.config.current;
      return {
        at: new Date(now.at).toISOString(),
        uptimeSeconds: (now.at - startedAt) / 1000,
        requests: {
          total: now.total,
          perSecond: (now.total - (base?.total ?? 0)) / windowSeconds,
          p99Ms: p99 === null ? null : p99 * 1000,
          windowSeconds,
        },
        outbox: { lagRows: await sum(m.outboxLagRows), lagSeconds: await max(m.outboxLagSeconds) },
        writeBehind: { pending: await sum(m.writeBehindPending) },
        appendQueue: await sum(m.appendQueue),
        activePlayers: await sum(m.activePlayers),
        config: { version: config.version, hash: config.hash },
        shards: await shardPlayers(),
      };
    },
  });
}
