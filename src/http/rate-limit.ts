// Rate limits per API key and per player (API.md, SECURITY.md): token buckets whose rates come from the live game config
// (`limits.rateLimits`), read on every request so a reload applies without a restart. Over the limit: 429 `rate_limited`
// with Retry-After, before the handler does any work. With a shared store (Redis) the buckets are the fleet's: N
// instances together allow the configured rates (shared-token-buckets.ts); without one they live in this process and
// N instances allow N times the rates.
//
// The admin key is not limited: operators must be able to act (reload the config, repair a player) during the very flood
// that the limits hold back, and a game server's flood never drains their buckets because they have none.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GameConfig } from '../config/index.js';
import { RateLimitedError } from '../errors.js';
import type { SharedBucketStore } from '../backends/shared-bucket-port.js';
import { SharedTokenBuckets, type SharedTokenBucketsOptions } from './shared-token-buckets.js';
import { TokenBuckets, type BucketLimits, type TakeResult, type TokenBucketsOptions } from './token-buckets.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The player a request concerns, read after validation: that player's bucket is charged too. */
    player?: (req: FastifyRequest) => string | undefined;
  }
}

export interface RateLimitOptions {
  /** Options of both bucket sets (their cap on memory; the clock, for tests). */
  buckets?: TokenBucketsOptions;
  /** Where the fleet's buckets live (Redis); absent: per process. */
  shared?: SharedBucketStore;
  /** How the shared buckets are used (see shared-token-buckets.ts). */
  sharedOptions?: SharedTokenBucketsOptions;
  /** Requests another instance of the fleet charged before forwarding them here: charged once, where they arrived. */
  chargedElsewhere?: (req: FastifyRequest) => boolean;
}

interface Buckets {
  take(key: string, limits: BucketLimits): TakeResult | Promise<TakeResult>;
}

function buckets(name: string, options: RateLimitOptions): Buckets {
  if (!options.shared) return new TokenBuckets(options.buckets);
  return new SharedTokenBuckets(options.shared, name, { maxBuckets: options.buckets?.maxBuckets, now: options.buckets?.now, ...options.sharedOptions });
}

export function installRateLimits(app: FastifyInstance, config: Pick<GameConfig, 'current' | 'forPlayer'>, options: RateLimitOptions = {}): void {
  const keys = buckets('key', options);
  const players = buckets('player', options);

  // After auth (hooks run in the order they are added), before the body is even read.
  app.addHook('onRequest', async (req) => {
    if (req.principal !== 'game' || options.chargedElsewhere?.(req)) return;
    const { perKeyPerSecond, burst } = config.current.config.limits.rateLimits;
    const taken = await keys.take(req.principal, { perSecond: perKeyPerSecond, burst });
    if (!taken.ok) throw new RateLimitedError('too many requests for this API key', taken.retryAfterSeconds);
  });

  // After validation: the player id is known to be well formed, so garbage ids never get a bucket.
  app.addHook('preHandler', async (req) => {
    if (req.principal !== 'game' || options.chargedElsewhere?.(req)) return;
    const playerId = req.routeOptions.config.player?.(req);
    if (playerId === undefined) return;
    const live = config.current.config;
    // Experiments may override limits per player; without experiments every player has the live limits.
    const { perPlayerPerSecond, burst } = (live.experiments.length > 0 ? config.forPlayer(playerId).config : live).limits.rateLimits;
    const taken = await players.take(playerId, { perSecond: perPlayerPerSecond, burst });
    if (!taken.ok) throw new RateLimitedError(`too many requests for player ${playerId}`, taken.retryAfterSeconds);
  });
}
