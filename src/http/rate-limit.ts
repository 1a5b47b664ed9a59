// Rate limits per API key and per player (API.md, SECURITY.md): token buckets whose rates come from the live game config
// (`limits.rateLimits`), read on every request so a reload applies without a restart. Over the limit: 429 `rate_limited`
// with Retry-After, before the handler does any work. With a shared store (Redis) the buckets are the fleet's: N
// instances together allow the configured rates (shared-token-buckets.ts); without one they live in this process and
// N instances allow N times the rates. A read whose player check has to ask the shared store runs meanwhile (its
// command and the store's go out in one write): a read changes nothing, and a refused one answers 429 all the same.
//
// The admin key is not limited: operators must be able to act (reload the config, repair a player) during the very flood
// that the limits hold back, and a game server's flood never drains their buckets because they have none.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GameConfig } from '../config/index.js';
import { RateLimitedError } from '../errors.js';
import { errorBody } from './error-handler.js';
import type { SharedBucketStore } from '../backends/shared-bucket-port.js';
import { SharedTokenBuckets, type SharedTokenBucketsOptions } from './shared-token-buckets.js';
import { TokenBuckets, type BucketLimits, type TakeResult, type TokenBucketsOptions } from './token-buckets.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The player a request concerns, read after validation: that player's bucket is charged too. */
    player?: (req: FastifyRequest) => string | undefined;
    /** Headers the route's success reply carries: a refusal decided after the handler ran leaves them out. */
    replyHeaders?: readonly string[];
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

type Done = (err?: Error) => void;

function refusal(taken: TakeResult, message: string): RateLimitedError | undefined {
  return taken.ok ? undefined : new RateLimitedError(message, taken.retryAfterSeconds);
}

/** Calls `done` with the refusal, if any: at once when the buckets answered at once. */
function settle(taken: TakeResult | Promise<TakeResult>, message: string, done: Done): void {
  if (!(taken instanceof Promise)) return done(refusal(taken, message));
  taken.then((t) => done(refusal(t, message)), done);
}

/** Reads change nothing: one may run while its player's bucket is asked, and its answer is dropped if refused. */
const READS = new Set(['GET', 'HEAD']);

export function installRateLimits(app: FastifyInstance, config: Pick<GameConfig, 'current' | 'forPlayer'>, options: RateLimitOptions = {}): void {
  const keys = buckets('key', options);
  const players = buckets('player', options);
  // Player checks of reads still waiting for the shared store's answer, settled before the reply goes out.
  const pending = new WeakMap<FastifyRequest, { taken: Promise<TakeResult>; message: string }>();

  // After auth (hooks run in the order they are added), before the body is even read.
  app.addHook('onRequest', (req, _reply, done: Done) => {
    if (req.principal !== 'game' || options.chargedElsewhere?.(req)) return done();
    const { perKeyPerSecond, burst } = config.current.config.limits.rateLimits;
    settle(keys.take(req.principal, { perSecond: perKeyPerSecond, burst }), 'too many requests for this API key', done);
  });

  // After validation: the player id is known to be well formed, so garbage ids never get a bucket.
  app.addHook('preHandler', (req, _reply, done: Done) => {
    if (req.principal !== 'game' || options.chargedElsewhere?.(req)) return done();
    const playerId = req.routeOptions.config.player?.(req);
    if (playerId === undefined) return done();
    const live = config.current.config;
    // Experiments may override limits per player; without experiments every player has the live limits.
    const { perPlayerPerSecond, burst } = (live.experiments.length > 0 ? config.forPlayer(playerId).config : live).limits.rateLimits;
    const taken = players.take(playerId, { perSecond: perPlayerPerSecond, burst });
    const message = `too many requests for player ${playerId}`;
    // A read need not wait for the shared store: both go out together, and the reply waits for the answer.
    if (taken instanceof Promise && READS.has(req.method)) {
      pending.set(req, { taken, message });
      return done();
    }
    settle(taken, message, done);
  });

  app.addHook('onSend', (req, reply, payload, done: (err: Error | null, payload?: unknown) => void) => {
    const check = pending.get(req);
    if (!check) return done(null, payload);
    pending.delete(req);
    check.taken.then((t) => {
      const refused = refusal(t, check.message);
      if (!refused) return done(null, payload);
      // The reply is replaced here rather than thrown: the route's error handler may have answered already (a 404),
      // and a second error would reach fastify's default handler, whose body API.md does not document.
      for (const header of req.routeOptions.config.replyHeaders ?? []) reply.removeHeader(header);
      void reply
        .code(refused.status)
        .header('retry-after', String(refused.details.retryAfterSeconds))
        .type('application/json; charset=utf-8');
      done(null, JSON.stringify(errorBody(refused.code, refused.message, { ...refused.details })));
    }, done);
  });
}
