// Game config routes of API.md.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { gameConfigSchema } from '../../config/index.js';
import { NAME_PATTERN } from '../../players/index.js';
import type { Realm } from '../../realm.js';
import { defineRoute } from '../route-spec.js';

const playerId = z.string().regex(NAME_PATTERN, 'player id must be 1–64 characters of A-Z a-z 0-9 _ - . :');

// What the routes answer: the OpenAPI document and the typed client are made from these.
const configVersion = { version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), hash: z.string().regex(/^[0-9a-f]{16}$/), loadedAt: z.iso.datetime() };
export const configQuerySchema = z.object({ playerId: playerId.optional() });
export const configSnapshotSchema = z.object({
  ...configVersion,
  config: gameConfigSchema,
  experiments: z.record(z.string(), z.string()).optional().describe('with playerId: experiment name → the variant of that player'),
});
export const configStatusSchema = z.object({
  ...configVersion,
  reloads: z.number().int().min(0).describe('accepted reloads'),
  lastError: z.object({ message: z.string(), at: z.iso.datetime() }).nullable().describe('the last rejected reload; null once a good file is accepted'),
});

export function configRoutes(app: FastifyInstance, realm: Realm): void {
  defineRoute(app, {
    method: 'GET',
    url: '/v1/config',
    operationId: 'getConfig',
    summary: "The live game config; with playerId, the player's experiment overrides merged in and the variants named",
    tag: 'config',
    access: 'game',
    query: configQuerySchema,
    responses: { 200: configSnapshotSchema },
    errors: [400, 401],
    handler: async ({ query }) => {
      if (query.playerId !== undefined) return realm.config.forPlayer(query.playerId);
      return realm.config.current;
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/config/status',
    operationId: 'getConfigStatus',
    summary: 'Version, hash and load time of the live config, accepted reloads and the last rejected one',
    tag: 'config',
    access: 'admin',
    responses: { 200: configStatusSchema },
    errors: [401, 403],
    handler: async () => realm.config.status(),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/v1/config/reload',
    operationId: 'reloadConfig',
    summary: 'Re-read the config file now; 422 with the reason when it is not valid (the live config stays)',
    tag: 'config',
    access: 'admin',
    responses: { 200: configStatusSchema },
    errors: [400, 401, 403, 422],
    handler: async () => realm.config.reload(),
  });
}
