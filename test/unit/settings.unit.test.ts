import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_OPTIONS, ENV_VARS, loadSettings, SettingsError } from '../../src/settings.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (err) {
    if (err instanceof SettingsError) return err.problems;
    throw err;
  }
  return [];
}

describe('settings', () => {
  it('defaults to embedded mode with 4 shards on 127.0.0.1:8080', () => {
    const s = loadSettings({});
    expect(s).toMatchObject({ host: '127.0.0.1', port: 8080, shards: 4, databaseUrls: [], redisUrl: undefined, natsUrl: undefined });
    expect(s.engine).toEqual(DEFAULT_ENGINE_OPTIONS);
  });

  it('takes the shard count from DATABASE_URLS', () => {
    const s = loadSettings({ DATABASE_URLS: 'postgres://a/x, postgres://b/y' });
    expect(s.shards).toBe(2);
    expect(s.databaseUrls).toEqual(['postgres://a/x', 'postgres://b/y']);
  });

  it('refuses keys no bearer header can carry, and one key for both roles, without printing them', () => {
    const good = 'k'.repeat(20);
    for (const key of ['wrong key with spaces', 'clé-non-ascii-0123456789', 'x'.repeat(513)]) {
      const p = problems({ REALMSTATE_API_KEY: key, REALMSTATE_ADMIN_KEY: good });
      expect(p, key).toEqual(['REALMSTATE_API_KEY: a key must be at most 512 printable ASCII characters, without spaces']);
    }
    const same = problems({ REALMSTATE_API_KEY: good, REALMSTATE_ADMIN_KEY: good });
    expect(same).toEqual([expect.stringContaining('are the same')]);
    expect(same.join()).not.toContain(good);
    expect(problems({ REALMSTATE_API_KEY: 'x'.repeat(512), REALMSTATE_ADMIN_KEY: good })).toEqual([]);
  });

  it('names each bad variable in one error', () => {
    const p = problems({
      PORT: 'eighty',
      REALMSTATE_SHARDS: '0',
      REDIS_URL: 'localhost:6379',
      NATS_URL: 'http://x',
      REALMSTATE_GROUP_COMMIT_MAX_EVENTS: '-3',
      REALMSTATE_API_KEY: 'short',
    });
    expect(p.join('\n')).toMatch(/PORT/);
    expect(p.join('\n')).toMatch(/REALMSTATE_SHARDS: "0" must be an integer ≥ 1/);
    expect(p.join('\n')).toMatch(/REDIS_URL/);
    expect(p.join('\n')).toMatch(/NATS_URL/);
    expect(p.join('\n')).toMatch(/REALMSTATE_GROUP_COMMIT_MAX_EVENTS/);
    expect(p.join('\n')).toMatch(/REALMSTATE_API_KEY/);
  });

  it('rejects a malformed database URL without printing its password', () => {
    const p = problems({ DATABASE_URLS: 'postgres://u:secret@db/x,mysql://u:secret@db/y' });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/DATABASE_URLS/);
    expect(p[0]).not.toMatch(/secret/);
  });

  it('checks replicas and shard count against DATABASE_URLS', () => {
    expect(problems({ DATABASE_URLS: 'postgres://a/x', DATABASE_REPLICA_URLS: 'postgres://r/x,postgres://r/y' })[0]).toMatch(/one per shard/);
    expect(problems({ DATABASE_URLS: 'postgres://a/x', REALMSTATE_SHARDS: '3' })[0]).toMatch(/REALMSTATE_SHARDS is 3/);
    expect(loadSettings({ DATABASE_URLS: 'postgres://a/x,postgres://b/y', DATABASE_REPLICA_URLS: ',postgres://r/y' }).databaseReplicaUrls).toEqual(['', 'postgres://r/y']);
  });

  it('parses region URLs', () => {
    expect(loadSettings({ REDIS_REGION_URLS: 'eu=redis://a:6379, na=redis://b:6380' }).redisRegionUrls).toEqual({ eu: 'redis://a:6379', na: 'redis://b:6380' });
    expect(problems({ REDIS_REGION_URLS: 'redis://a:6379' })[0]).toMatch(/region=redis/);
  });

  it('takes a Redis Cluster instead of REDIS_URL, never both', () => {
    expect(loadSettings({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2:7001,redis://:pw@10.0.0.3:7002' }).redisClusterNodes).toEqual(['10.0.0.1:7000', 'redis-2:7001', 'redis://:pw@10.0.0.3:7002']);
    expect(loadSettings({}).redisClusterNodes).toEqual([]);
    expect(problems({ REDIS_CLUSTER_NODES: '10.0.0.1:7000', REDIS_URL: 'redis://a:6379' })).toEqual([expect.stringMatching(/both set/)]);
    const bad = problems({ REDIS_CLUSTER_NODES: '10.0.0.1,redis://u:secret@h:99999' });
    expect(bad).toHaveLength(2);
    expect(bad.join()).not.toContain('secret');
  });

  it('takes a list of NATS servers and the stream replicas', () => {
    const s = loadSettings({ NATS_URL: 'nats://a:4222, nats://b:4222,nats://c:4222', REALMSTATE_NATS_REPLICAS: '3' });
    expect([s.natsUrl, s.natsReplicas]).toEqual(['nats://a:4222,nats://b:4222,nats://c:4222', 3]);
    expect(loadSettings({ NATS_URL: 'nats://a:4222' }).natsReplicas).toBe(1);
    expect(problems({ NATS_URL: 'nats://a:4222,http://b' })).toEqual([expect.stringMatching(/^NATS_URL: "http:\/\/b\/" must start with nats:\/\//)]);
    expect(problems({ NATS_URL: 'nats://a:4222', REALMSTATE_NATS_REPLICAS: '7' })[0]).toMatch(/REALMSTATE_NATS_REPLICAS/);
    expect(problems({ REALMSTATE_NATS_REPLICAS: '3' })).toEqual(['REALMSTATE_NATS_REPLICAS needs NATS_URL']);
  });

  it('documents every engine option as a variable', () => {
    const names = new Set(ENV_VARS.map((v) => v.name));
    expect(names.has('REALMSTATE_SNAPSHOT_EVERY')).toBe(true);
    expect(ENV_VARS.filter((v) => v.name.startsWith('REALMSTATE_')).length).toBeGreaterThanOrEqual(Object.keys(DEFAULT_ENGINE_OPTIONS).length);
  });
});
