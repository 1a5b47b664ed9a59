// Game config routes of API.md.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NAME_PATTERN } from '../../players/index.js';
import type { Realm } from '../../realm.js';
import { defineRoute } from '../route-spec.js';

const playerId = z.string().regex(NAME_PATTERN, 'player id must be 1–64 characters of A-Z a-z 0-9 _ - . :');

export function configRoutes(app: FastifyInstance, realm: Realm): void {
  defineRoute(app, {
    method: 'GET',
    url: '/v1/config',
    summary: "The live game config; with playerId, the player's experiment overrides merged in and the variants named",
    tag: 'config',
    access: 'game',
    query: z.object({ playerId: playerId.optional() }),
    errors: [400, 401],
    handler: async ({ query }) => {
      if (query.playerId !== undefined) return realm.config.forPlayer(query.playerId);
      return realm.config.current;
    },
  });

  defineRoute(app, {
    method: 'GET',
    url: '/v1/config/status',
    summary: 'Version, hash and load time of the live config, accepted reloads and the last rejected one',
    tag: 'config',
    access: 'admin',
    errors: [401, 403],
    handler: async () => realm.config.status(),
  });

  defineRoute(app, {
    method: 'POST',
    url: '/v1/config/reload',
    summary: 'Re-read the config file now; 422 with the reason when it is not valid (the live config stays)',
    tag: 'config',
    access: 'admin',
    errors: [401, 403, 422],
    handler: async () => realm.config.reload(),
  });
}
