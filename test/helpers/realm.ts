// A realm and its HTTP server on a test backend, with known keys.
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';
import type { Clock } from '../../src/leaderboards/index.js';
import { createRealm, type CreateRealmOptions, type Realm } from '../../src/realm.js';
import { loadSettings, type EngineOptions } from '../../src/settings.js';
import { openTestCluster, type SqlKind, type TestCluster } from './backends.js';
import { checkInjects } from './contract.js';

export const API_KEY = 'test-game-key-0123456789';
export const ADMIN_KEY = 'test-admin-key-0123456789';
export const auth = { authorization: `Bearer ${API_KEY}` };
export const adminAuth = { authorization: `Bearer ${ADMIN_KEY}` };

export interface TestRealm {
  realm: Realm;
  app: FastifyInstance;
  cluster: TestCluster;
  dataDir: string;
  close: () => Promise<void>;
}

export interface TestRealmOptions {
  shards?: number;
  engine?: Partial<EngineOptions>;
  env?: Record<string, string>;
  /** Restart on the data of an earlier test realm's cluster; close() then leaves the data for its owner to clean up. */
  cluster?: TestCluster;
  /** Outbox relay options (tests poll faster). */
  relay?: CreateRealmOptions['relay'];
  /** "Now" of the leaderboards (seasons, achieved-at times). */
  clock?: Clock;
}

export async function startTestRealm(kind: SqlKind, options: TestRealmOptions = {}): Promise<TestRealm> {
  const cluster = options.cluster ?? (await openTestCluster(kind, options.shards ?? 4));
  const dataDir = mkdtempSync(join(tmpdir(), 'realmstate-test-'));
  const settings = loadSettings({ REALMSTATE_DATA_DIR: dataDir, REALMSTATE_API_KEY: API_KEY, REALMSTATE_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'silent', REALMSTATE_SHARDS: String(cluster.cluster.shards.length), ...options.env });
  Object.assign(settings.engine, options.engine);
  const sql = options.cluster ? await options.cluster.reopen() : cluster.cluster;
  const realm = await createRealm({ settings, logger: silentLogger, sql, processMetrics: false, relay: options.relay, clock: options.clock });
  // Every response the suites get is checked against /openapi.json.
  const app = checkInjects(await buildServer(realm));
  let closed = false;
  return {
    realm,
    app,
    cluster,
    dataDir,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
      await realm.close();
      if (!options.cluster) await cluster.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
