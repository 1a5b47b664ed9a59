// Realmstate's own appends (trade holds and settlements, rating updates, bans, rollbacks) for a player another
// instance of the fleet owns: they travel to the owner over the fleet's keep-alive connections, to a route only
// instances call (the admin key they share; not part of the public API, so not in the OpenAPI document), and come
// back as the same typed errors, so the callers decide as they would on one instance.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { skipAudit } from '../anticheat/audit-hook.js';
import { ConflictError, RealmError, RejectedError, UnavailableError, type ErrorCode } from '../errors.js';
import { internalEventSchema, type InternalPlayerEvent } from '../players/index.js';
import { NotOwnerError } from '../players/group-commit.js';
import type { AppendOptions, AppendResult, PlayerStore } from '../players/player-store.js';
import type { Fleet } from './fleet.js';
import { Forwarder, OwnerUnreachableError } from './forwarder.js';

export const INTERNAL_APPEND_URL = '/v1/fleet/players/:id/internal-events';
// Each trade step or rating update would otherwise be an admin action in the audit trail; the action that caused it
// (an admin's rollback, a ban) is recorded where the admin called it.
skipAudit(INTERNAL_APPEND_URL);

const bodySchema = z
  .object({
    events: z.array(internalEventSchema).min(1).max(100),
    expectedSeq: z.number().int().min(0).optional(),
    durability: z.enum(['sync', 'batched']).optional(),
  })
  .strict();

/**
 * The owner was asked, and the answer never came back (a timeout, a dropped connection, a 500): the append may or
 * may not have been applied there. Callers that must know (trades) fence the player instead of assuming nothing landed.
 */
export class OutcomeUnknownError extends UnavailableError {}

/** The owner answered that it no longer owns the player: nothing was written, the append may go to the new owner. */
const NOT_OWNER = 'notOwner';

export function isOutcomeUnknown(err: unknown): boolean {
  return err instanceof OutcomeUnknownError;
}

/** Installs the route the owner answers on and makes `players.appendInternal` reach the owner from any instance. */
export function installInternalAppends(app: FastifyInstance, fleet: Fleet, players: PlayerStore, adminKey: string): void {
  if (!fleet.enabled) return;
  app.route({
    method: 'POST',
    url: INTERNAL_APPEND_URL,
    config: { access: 'admin' },
    handler: async (req) => {
      const parsed = bodySchema.safeParse(req.body);
      if (!parsed.success) throw new RealmError('invalid_argument', `invalid body: ${parsed.error.message}`);
      const playerId = (req.params as { id: string }).id;
      // Applied here only: an instance that no longer owns the player says so, and the sender looks again.
      if (!fleet.owns(playerId)) throw new RealmError('unavailable', `player ${playerId} is not owned by this instance; nothing was written`, { [NOT_OWNER]: true });
      const { events, ...options } = parsed.data;
      const done = fleet.serve(playerId);
      try {
        return await players.appendInternalHere(playerId, events, options);
      } catch (err) {
        if (err instanceof NotOwnerError) throw new RealmError('unavailable', err.message, { [NOT_OWNER]: true });
        throw err;
      } finally {
        done();
      }
    },
  });
  const forwarder = new Forwarder();
  app.addHook('onClose', async () => forwarder.close());
  players.setInternalRoute((playerId, events, options) => appendAtOwner(fleet, forwarder, players, adminKey, playerId, events, options));
}

async function appendAtOwner(
  fleet: Fleet,
  forwarder: Forwarder,
  players: PlayerStore,
  adminKey: string,
  playerId: string,
  events: readonly InternalPlayerEvent[],
  options: AppendOptions,
): Promise<AppendResult> {
  // A slot without a live holder (its owner just died, or it is being handed over) gets one within the lease time.
  const deadline = Date.now() + fleet.options.leaseMs * 2;
  const unreachable = new Set<string>();
  for (;;) {
    const route = fleet.route(playerId);
    if (route.kind === 'local') {
      const done = fleet.serve(playerId);
      try {
        return await players.appendInternalHere(playerId, events, options);
      } catch (err) {
        // The slot moved away before the commit: nothing was written, so it may go to the new owner.
        if (!(err instanceof NotOwnerError) || Date.now() >= deadline) throw err;
      } finally {
        done();
      }
    } else if (route.kind === 'remote' && !unreachable.has(route.instance)) {
      let res;
      try {
        res = await forwarder.send(
          route.url,
          {
            method: 'POST',
            url: INTERNAL_APPEND_URL.replace(':id', encodeURIComponent(playerId)),
            headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
            body: { events, ...options },
          },
          {},
          30_000,
        );
      } catch (err) {
        if (!(err instanceof OwnerUnreachableError)) {
          throw new OutcomeUnknownError(`the instance that owns player ${playerId} failed during an internal append (${(err as Error).message}); it may or may not have been applied`, { cause: err });
        }
        // Dead, most likely: its lease runs out and another instance takes the slot.
        unreachable.add(route.instance);
        res = undefined;
      }
      if (res) {
        const body = parseBody(res.body);
        if (res.status === 200 && body && typeof body.seq === 'number') return body as unknown as AppendResult;
        const err = asRealmError(res.status, body, playerId);
        if (!(err.details[NOT_OWNER] === true) || Date.now() >= deadline) throw err;
        await fleet.lookAgain();
        continue;
      }
    }
    if (Date.now() >= deadline) throw new UnavailableError(`no live instance holds player ${playerId} yet; retry shortly`);
    fleet.nudge();
    await new Promise((r) => setTimeout(r, 25));
  }
}

function parseBody(raw: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(raw.toString('utf8'));
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const KNOWN_CODES = new Set<ErrorCode>(['invalid_argument', 'unauthenticated', 'permission_denied', 'not_found', 'conflict', 'payload_too_large', 'rejected', 'rate_limited', 'request_timeout', 'unavailable', 'banned']);

/** The owner's error reply as the typed error it threw there; anything unexpected leaves the outcome unknown. */
export function asRealmError(status: number, body: Record<string, unknown> | undefined, playerId: string): RealmError {
  const error = body?.error as { code?: unknown; message?: unknown } | undefined;
  const code = error?.code as ErrorCode | undefined;
  const message = typeof error?.message === 'string' ? error.message : `status ${status}`;
  if (!body || code === undefined || !KNOWN_CODES.has(code)) {
    return new OutcomeUnknownError(`the instance that owns player ${playerId} answered an internal append with ${status} (${message}); it may or may not have been applied`);
  }
  const details: Record<string, unknown> = { ...body };
  delete details.error;
  if (code === 'conflict') return new ConflictError(message, typeof details.currentSeq === 'number' ? details.currentSeq : 0);
  if (code === 'rejected') return new RejectedError(message, details);
  if (code === 'unavailable' && details[NOT_OWNER] !== true) return new UnavailableError(message);
  return new RealmError(code, message, details);
}
