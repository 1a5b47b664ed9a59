// The SQL port contract: PGlite and PostgreSQL behave the same for everything the services rely on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrateCluster, migrateShard, PgCluster, ShardMismatchError } from '../../src/backends/postgres/index.js';
import { UnavailableError } from '../../src/errors.js';
import { isDataRefusal, isUnavailability } from '../../src/backends/postgres/sql-errors.js';
import { openTestCluster, SQL_CONTRACT_KINDS, type TestCluster } from '../helpers/backends.js';

describe.each(SQL_CONTRACT_KINDS)('SQL port on %s', (kind) => {
  let tc: TestCluster;
  beforeAll(async () => {
    tc = await openTestCluster(kind, 2);
    for (const shard of tc.cluster.shards) await migrateShard(shard);
  });
  afterAll(async () => tc.cleanup());

  it('applies migrations once and records them', async () => {
    const shard = tc.cluster.shards[0]!;
    expect(await migrateShard(shard)).toEqual([]);
    const rows = await shard.query<{ name: string }>('SELECT name FROM realmstate_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(loadMigrations().map((m) => m.name));
  });

  it('refuses a URL list that names the same shard database twice', async () => {
    const twice = { ...tc.cluster, shards: [tc.cluster.shards[0]!, tc.cluster.shards[1]!, tc.cluster.shards[0]!] };
    await expect(migrateCluster(twice)).rejects.toThrow(ShardMismatchError);
  });

  it('keeps shards apart', async () => {
    const [a, b] = tc.cluster.shards;
    await a!.query("INSERT INTO players VALUES ('only-in-a', 1, '{}', now())");
    expect(await b!.query("SELECT * FROM players WHERE player_id = 'only-in-a'")).toEqual([]);
    expect(await a!.query("SELECT player_id FROM players WHERE player_id = 'only-in-a'")).toEqual([{ player_id: 'only-in-a' }]);
  });

  it('returns bigint as exact numbers, jsonb as objects, timestamptz as dates', async () => {
    const [row] = await tc.cluster.shards[0]!.query<{ big: number; neg: number; j: unknown; t: Date }>(
      "SELECT 9007199254740991::bigint AS big, (-9007199254740991)::bigint AS neg, '{\"a\":[1,\"x\"]}'::jsonb AS j, '2026-11-26T10:00:00.123Z'::timestamptz AS t",
    );
    expect(row).toEqual({ big: 9007199254740991, neg: -9007199254740991, j: { a: [1, 'x'] }, t: new Date('2026-11-26T10:00:00.123Z') });
  });

  it('passes arrays of awkward strings through unnest unchanged', async () => {
    const texts = ['plain', 'quote"d', 'back\\slash', 'comma,brace{}', 'null', '', 'üñí'];
    const json = texts.map((t) => JSON.stringify({ t, n: [1, null] }));
    const rows = await tc.cluster.shards[0]!.query<{ a: string; b: { t: string } }>('SELECT * FROM unnest($1::text[], $2::jsonb[]) AS u(a, b)', [texts, json]);
    expect(rows.map((r) => r.a)).toEqual(texts);
    expect(rows.map((r) => r.b.t)).toEqual(texts);
  });

  it('commits a transaction, and rolls back one that throws', async () => {
    const shard = tc.cluster.shards[0]!;
    await shard.transaction(async (tx) => {
      await tx.query("INSERT INTO players VALUES ('tx-ok', 1, '{}', now())");
    });
    await expect(
      shard.transaction(async (tx) => {
        await tx.query("INSERT INTO players VALUES ('tx-bad', 1, '{}', now())");
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const ids = (await shard.query<{ player_id: string }>("SELECT player_id FROM players WHERE player_id LIKE 'tx-%' ORDER BY 1")).map((r) => r.player_id);
    expect(ids).toEqual(['tx-ok']);
  });

  it('reports a refused statement with its SQLSTATE, inside a transaction too, and carries on', async () => {
    const shard = tc.cluster.shards[0]!;
    await shard.query("INSERT INTO players VALUES ('dup', 1, '{}', now())");
    const refused = await shard.query("INSERT INTO players VALUES ('dup', 1, '{}', now())").catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(Error);
    expect(refused).toMatchObject({ code: '23505' });
    expect(isUnavailability(refused)).toBe(false);
    const inTx = await shard.transaction(async (tx) => {
      await tx.query("INSERT INTO players VALUES ('dup-tx', 1, '{}', now())");
      await tx.query('SELECT 1/0 AS x');
    }).catch((err: unknown) => err);
    expect(inTx).toMatchObject({ code: '22012' });
    expect(isDataRefusal(inTx)).toBe(true);
    // The failed transaction left nothing, and the shard serves the next one.
    expect(await shard.query("SELECT player_id FROM players WHERE player_id = 'dup-tx'")).toEqual([]);
    expect(await shard.transaction((tx) => tx.query<{ n: number }>('SELECT 2 AS n'))).toEqual([{ n: 2 }]);
  });

  it('serializes concurrent transactions correctly', async () => {
    const shard = tc.cluster.shards[1]!;
    await shard.query("INSERT INTO realmstate_meta VALUES ('counter', '0')");
    await Promise.all(
      Array.from({ length: 20 }, () =>
        shard.transaction(async (tx) => {
          await tx.query("SELECT value FROM realmstate_meta WHERE key = 'counter' FOR UPDATE");
          await tx.query("UPDATE realmstate_meta SET value = to_jsonb((value)::int + 1) WHERE key = 'counter'");
        }),
      ),
    );
    expect(await shard.query("SELECT value FROM realmstate_meta WHERE key = 'counter'")).toEqual([{ value: 20 }]);
  });
});

describe('PostgreSQL unavailability', () => {
  it('reports a shard that cannot be reached as UnavailableError, fast', async () => {
    const cluster = new PgCluster(['postgres://postgres@127.0.0.1:1/nothing']);
    await expect(cluster.shards[0]!.query('SELECT 1')).rejects.toBeInstanceOf(UnavailableError);
    await expect(cluster.shards[0]!.transaction(async () => 1)).rejects.toBeInstanceOf(UnavailableError);
    await cluster.close();
  });
});
