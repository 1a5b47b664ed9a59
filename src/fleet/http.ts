// The fleet's HTTP side: every response says which instance served it, requests for a player another instance owns
// are forwarded there (so a load balancer may send anything anywhere), and the admin list of instances.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { UnavailableError } from '../errors.js';
import { defineRoute } from '../http/route-spec.js';
import type { Fleet } from './fleet.js';
import { Forwarder, OwnerUnreachableError } from './forwarder.js';

export const INSTANCE_HEADER = 'x-realmstate-instance';
const HOPS_HEADER = 'x-realmstate-hops';
/**
 * Says that the instance the client reached charged the request to the rate limits already, so the owner it is
 * forwarded to does not charge it a second time. A keyed hash of the request line under the fleet's admin key: a
 * client cannot make one up. An instance that cannot check it (another admin key) charges the request again.
 */
const CHARGED_HEADER = 'x-realmstate-charged';
/** A holder that refused a connection is tried again after this long (the request never reached it). */
const UNREACHABLE_RETRY_MS = 200;
/** A request forwarded this many times waits where it lands (for that instance to own the player, or 503). */
const MAX_HOPS = 6;

const instanceSchema = z.object({ id: z.string(), url: z.string().nullable(), slots: z.number().int(), startedAt: z.string(), lastSeenAt: z.string() });
export const instancesResponseSchema = z.object({ instances: z.array(instanceSchema) });

/** Routes whose player must be served by its owner: its in-memory state (and `batched` appends) live there. */
const OWNED_ROUTE = /^\/v1\/players\/:id(\/|$)/;

function chargedMark(secret: string, method: string, url: string): string {
  return createHmac('sha256', secret).update(`${method} ${url}`).digest('base64url');
}

/** Whether another instance of the fleet charged this request to the rate limits before forwarding it here. */
export function chargedElsewhere(req: FastifyRequest, secret: string): boolean {
  const mark = req.headers[CHARGED_HEADER];
  if (typeof mark !== 'string') return false;
  const want = Buffer.from(chargedMark(secret, req.method, req.url));
  const got = Buffer.from(mark);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Players read for a batch: each one's state document as JSON text, and the ids that do not exist. */
export interface BatchRead {
  players: Map<string, string>;
  missing: string[];
}

/** A batch read across the fleet (POST /v1/players:batchGet). */
export type BatchReader = (req: FastifyRequest, ids: readonly string[], here: (ids: string[]) => Promise<BatchRead>) => Promise<BatchRead>;

/**
 * `secret`: the admin key every instance of the fleet shares (it also signs their internal appends). Returns how a
 * batch read reaches the players' owners, in a fleet.
 */
export function installFleet(app: FastifyInstance, fleet: Fleet, secret: string): BatchReader | undefined {
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (!reply.hasHeader(INSTANCE_HEADER)) void reply.header(INSTANCE_HEADER, fleet.id);
    done(null, payload);
  });
  defineRoute(app, {
    method: 'GET',
    url: '/v1/admin/instances',
    operationId: 'listInstances',
    summary: 'The live instances of the fleet and how many slots each holds',
    tag: 'fleet',
    access: 'admin',
    responses: { 200: instancesResponseSchema },
    errors: [401, 403],
    handler: async () => ({ instances: fleet.list() }),
  });
  if (!fleet.enabled) return undefined;
  const forwarder = new Forwarder();
  app.addHook('onClose', async () => forwarder.close());
  const served = new WeakMap<FastifyRequest, () => void>();
  const finished = async (req: FastifyRequest) => {
    served.get(req)?.();
    served.delete(req);
  };
  app.addHook('onResponse', finished);
  app.addHook('onRequestAbort', finished);
  // After authentication, validation and rate limits: only well-formed, allowed requests travel between instances.
  app.addHook('preHandler', async (req, reply) => {
    const url = req.routeOptions.url;
    if (url === undefined || !OWNED_ROUTE.test(url)) return;
    const playerId = (req.params as { id?: string }).id;
    if (playerId === undefined) return;
    return forwardUnlessOwned(fleet, forwarder, req, reply, playerId, secret, () => served.set(req, fleet.serve(playerId)));
  });
  return (req, ids, here) => readAtOwners(fleet, forwarder, secret, req, ids, here);
}

/**
 * Reads each player of a batch where it is owned: the players another instance owns are asked of it, one request per
 * owner, all at once (its memory holds their `batched` appends not yet committed, which the databases and a cache
 * do not); the others are read here, as are the players of an owner that cannot be reached (their committed state).
 * A batch forwarded here is read here whole: the instance that sent it already split it by owner.
 */
async function readAtOwners(fleet: Fleet, forwarder: Forwarder, secret: string, req: FastifyRequest, ids: readonly string[], here: (ids: string[]) => Promise<BatchRead>): Promise<BatchRead> {
  const unique = [...new Set(ids)];
  if (Number(req.headers[HOPS_HEADER] ?? 0) > 0) return here(unique);
  const local: string[] = [];
  const owners = new Map<string, { url: string; ids: string[] }>();
  for (const id of unique) {
    const route = fleet.route(id);
    if (route.kind !== 'remote') local.push(id);
    else {
      const group = owners.get(route.instance) ?? { url: route.url, ids: [] };
      group.ids.push(id);
      owners.set(route.instance, group);
    }
  }
  if (owners.size === 0) return here(local);
  const extra = { [HOPS_HEADER]: '1', [CHARGED_HEADER]: chargedMark(secret, req.method, req.url) };
  const answers = await Promise.all(
    [...owners.values()].map(async ({ url, ids: group }) => {
      let res;
      try {
        res = await forwarder.send(url, { method: 'POST', url: req.url, headers: req.headers, body: { ids: group } }, extra, 30_000);
      } catch (err) {
        // Never reached it (dead, most likely): what it committed is in the databases. A read is safe to repeat.
        if (err instanceof OwnerUnreachableError) return { unread: group };
        throw new UnavailableError(`the instance that owns some of these players failed during the read (${(err as Error).message}); retry`);
      }
      if (res.status !== 200) throw new UnavailableError(`the instance that owns some of these players answered ${res.status}; retry`);
      const body = JSON.parse(res.body.toString('utf8')) as { players: Array<{ playerId: string }>; missing: string[] };
      return { players: body.players, missing: body.missing };
    }),
  );
  const out: BatchRead = { players: new Map(), missing: [] };
  for (const a of answers) {
    if ('unread' in a) local.push(...(a.unread as string[]));
    else {
      for (const p of a.players) out.players.set(p.playerId, JSON.stringify(p));
      out.missing.push(...a.missing);
    }
  }
  if (local.length > 0) {
    const mine = await here(local);
    for (const [id, json] of mine.players) out.players.set(id, json);
    out.missing.push(...mine.missing);
  }
  return out;
}

/** Forwards the request to the player's owner and answers with its reply, or calls `local` (in the same tick as the check) and lets the route run here. */
async function forwardUnlessOwned(
  fleet: Fleet,
  forwarder: Forwarder,
  req: FastifyRequest,
  reply: FastifyReply,
  playerId: string,
  secret: string,
  local: () => void,
): Promise<FastifyReply | undefined> {
  const hops = Number(req.headers[HOPS_HEADER] ?? 0) || 0;
  // A slot without a live holder (its owner just died, or it is being handed over) gets one within the lease time.
  const deadline = Date.now() + fleet.options.leaseMs * 2;
  // Holders this request could not reach, and when to try each again: a dead one loses its lease within the lease
  // time, but one that is only starting (it takes its first leases just before it listens) answers a moment later.
  const unreachable = new Map<string, number>();
  // Forwarded here by an instance that believes this one owns the player: the two views differ (a slot is moving),
  // so look again (a look newer than the request) before sending it on, or two instances could pass it back and forth.
  if (hops > 0 && !fleet.owns(playerId)) await fleet.lookAgain();
  for (;;) {
    const route = fleet.route(playerId);
    if (route.kind === 'local') {
      local();
      return undefined;
    }
    if (route.kind === 'remote' && hops < MAX_HOPS && (unreachable.get(route.instance) ?? 0) <= Date.now()) {
      try {
        const res = await forwarder.send(route.url, { method: req.method, url: req.url, headers: req.headers, body: req.body }, { [HOPS_HEADER]: String(hops + 1), [CHARGED_HEADER]: chargedMark(secret, req.method, req.url) }, 30_000);
        void reply.code(res.status).headers(res.headers);
        return reply.send(res.body);
      } catch (err) {
        if (!(err instanceof OwnerUnreachableError)) {
          throw new UnavailableError(`the instance that owns player ${playerId} failed during the request (${(err as Error).message}); it may or may not have been applied`);
        }
        // Dead (its lease runs out and another instance takes the slot) or not listening yet: try it again shortly.
        unreachable.set(route.instance, Date.now() + UNREACHABLE_RETRY_MS);
      }
    }
    if (Date.now() >= deadline) {
      const why = route.kind === 'none' ? 'no instance holds its slot' : unreachable.has(route.instance) ? `its holder ${route.instance} could not be reached` : `forwarded ${hops} times`;
      const v = fleet.slotView(playerId);
      throw new UnavailableError(`no live instance holds player ${playerId} yet (${why}; slot ${v.slot} held here: ${v.held}, releasing: ${v.releasing}, holder: ${v.holder ?? 'none'}); retry shortly`);
    }
    fleet.nudge();
    await new Promise((r) => setTimeout(r, 25));
  }
}
