// Anti-cheat admin routes of API.md: flags and their review, bans, per-player rollback, the admin audit log.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NAME_PATTERN } from '../../players/index.js';
import type { Realm } from '../../realm.js';
import { nameAuditAction } from '../../anticheat/index.js';
import { defineRoute, queryInt } from '../route-spec.js';
import { playerStateSchema } from './players.js';

const name = z.string().regex(NAME_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 _ - . :');
const reason = z.string().min(1).max(500);
// A literal after a parameter needs the parameter to carry a pattern (find-my-way), and `::` is a literal colon. The
// pattern takes any segment, so a malformed id reaches the params schema and answers 400 as API.md says, not 404.
const PLAYER_PARAM = ':id(^[\\s\\S]+)';

// What the routes take and answer: the OpenAPI document and the typed client are made from these.
export const flagSchema = z.object({
  id: z.string(),
  playerId: z.string(),
  rule: z.string(),
  action: z.enum(['flag', 'quarantine']),
  status: z.enum(['open', 'cleared', 'banned']),
  details: z.record(z.string(), z.unknown()),
  at: z.string(),
}).meta({ id: 'Flag' });
export const flagListSchema = z.object({ flags: z.array(flagSchema) });
export const flagQuerySchema = z.object({ status: z.enum(['open', 'cleared', 'banned']).optional(), playerId: name.optional(), limit: queryInt(1, 1000, 100) });
export const flagParamsSchema = z.object({ id: z.string().regex(/^\d{1,18}$/, 'flag ids are integers') });
export const playerParamsSchema = z.object({ id: name });
export const banRequestSchema = z.object({ reason }).strict();
export const unbanRequestSchema = z.object({ reason: reason.optional() }).strict().optional();
export const rollbackRequestSchema = z.object({ toSeq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), reason }).strict();
export const auditQuerySchema = z.object({ limit: queryInt(1, 1000, 100) });
export const banSchema = z.object({ playerId: z.string(), banned: z.boolean(), scores: z.number().int() });
export const rollbackResultSchema = z.object({ seq: z.number().int(), state: playerStateSchema });
export const auditSchema = z.object({
  entries: z.array(z.object({ at: z.string(), key: z.enum(['admin', 'game']), action: z.string(), target: z.string().nullable(), outcome: z.string() })),
});

const CLEAR_URL = `/v1/admin/anticheat/flags/${PLAYER_PARAM}::clear`;
const playerUrl = (verb: string) => `/v1/admin/players/${PLAYER_PARAM}::${verb}`;

// The audit log names these actions the same whether the request was carried out or refused.
nameAuditAction(CLEAR_URL, ({ params }) => ({ action: 'anticheat.clear', target: `flag ${params.id ?? ''}` }));
for (const verb of ['ban', 'unban'] as const) nameAuditAction(playerUrl(verb), ({ params }) => ({ action: `anticheat.${verb}`, target: `player ${params.id ?? ''}` }));
nameAuditAction(playerUrl('rollback'), ({ params, body }) => {
  const toSeq = (body as { toSeq?: unknown } | undefined)?.toSeq;
  return { action: 'players.rollback', target: `player ${params.id ?? ''}${typeof toSeq === 'number' ? ` to seq ${toSeq}` : ''}` };
});

export function anticheatRoutes(app: FastifyInstance, realm: Realm): void {
  const ac = realm.anticheat;

  defineRoute(app, {
    method: 'GET',
    url: '/v1/admin/anticheat/flags',
    summary: 'Flags raised by the anti-cheat rules, newest first, filtered by status and player',
    tag: 'anticheat',
    access: 'admin',
    operationId: 'listFlags',
    query: flagQuerySchema,
    errors: [400, 401, 403, 503],
    responses: { 200: flagListSchema },
    handler: async ({ query }) => ({ flags: await ac.listFlags(query) }),
  });

  defineRoute(app, {
    method: 'POST',
    url: CLEAR_URL,
    openapiPath: '/v1/admin/anticheat/flags/{id}:clear',
    summary: 'Clear a flag after review; a score it held in quarantine goes onto its board',
    tag: 'anticheat',
    access: 'admin',
    operationId: 'clearFlag',
    params: flagParamsSchema,
    errors: [400, 401, 403, 404, 422, 503],
    responses: { 200: flagSchema },
    handler: async ({ params }) => ac.clear(params.id),
  });

  defineRoute(app, {
    method: 'POST',
    url: playerUrl('ban'),
    openapiPath: '/v1/admin/players/{id}:ban',
    summary: "Ban a player: its scores leave every board, its appends and submissions get 403 banned",
    tag: 'anticheat',
    access: 'admin',
    operationId: 'banPlayer',
    params: playerParamsSchema,
    body: banRequestSchema,
    errors: [400, 401, 403, 503],
    responses: { 200: banSchema },
    handler: async ({ params, body }) => ac.ban(params.id, body.reason),
  });

  defineRoute(app, {
    method: 'POST',
    url: playerUrl('unban'),
    openapiPath: '/v1/admin/players/{id}:unban',
    summary: 'Lift a ban: the scores come back from the durable copy',
    tag: 'anticheat',
    access: 'admin',
    operationId: 'unbanPlayer',
    params: playerParamsSchema,
    body: unbanRequestSchema,
    errors: [400, 401, 403, 404, 503],
    responses: { 200: banSchema },
    handler: async ({ params, body }) => ac.unban(params.id, body?.reason ?? 'unbanned'),
  });

  defineRoute(app, {
    method: 'POST',
    url: playerUrl('rollback'),
    openapiPath: '/v1/admin/players/{id}:rollback',
    summary: 'Append one state.restore event that brings the player back to its state at toSeq',
    tag: 'anticheat',
    access: 'admin',
    operationId: 'rollbackPlayer',
    params: playerParamsSchema,
    body: rollbackRequestSchema,
    errors: [400, 401, 403, 404, 409, 422, 503],
    responses: { 200: rollbackResultSchema },
    handler: async ({ params, body }) => ac.rollback(params.id, body.toSeq, body.reason),
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/admin/audit',
    summary: 'Every admin action (who, what, on what, outcome), newest first',
    tag: 'anticheat',
    access: 'admin',
    operationId: 'listAudit',
    query: auditQuerySchema,
    errors: [400, 401, 403, 503],
    responses: { 200: auditSchema },
    handler: async ({ query }) => ({ entries: await ac.audit.list(query.limit) }),
  });
}
