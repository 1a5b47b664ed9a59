// Two processes writing one player while its slot moves between PostgreSQL shards: both appends were taken before
// the switch and wait on the frozen slot, longer than an append may keep losing races (as when the mover died during
// the freeze); after it, both go to the new shard, one wins the seq race, and the other is applied again on the new
// shard's log (not on the old shard's, which ends at the switch), so neither fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateCluster, PgCluster } from '../../src/backends/postgres/index.js';
import { silentLogger } from '../../src/log.js';
import { createRealm, type Realm } from '../../src/realm.js';
import { MOVER_LEASE_KEY } from '../../src/resharding/shard-mover.js';
import { CONTENTION_DEADLINE_MS } from '../../src/players/player-store.js';
import { moveSlot, type SlotMoveResult } from '../../src/resharding/slot-mover.js';
import { loadSettings } from '../../src/settings.js';
import { loadSlotMap, slotOf } from '../../src/sharding/index.js';
import { createDatabases } from '../helpers/backends.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function startRealm(urls: string[]): Promise<Realm> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rs-move-race-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const settings = loadSettings({ REALMSTATE_DATA_DIR: dataDir, REALMSTATE_API_KEY: 'k'.repeat(24), REALMSTATE_ADMIN_KEY: 'a'.repeat(24), LOG_LEVEL: 'silent', REALMSTATE_SHARDS: String(urls.length) });
  const realm = await createRealm({ settings, logger: silentLogger, sql: new PgCluster(urls), processMetrics: false });
  cleanups.push(async () => void (await realm.close()));
  return realm;
}

type Shard = PgCluster['shards'][number];

/** Two fresh PostgreSQL shards, migrated. */
async function twoShards(): Promise<{ urls: string[]; sql: PgCluster }> {
  const dbs = await createDatabases(2);
  cleanups.push(dbs.drop);
  const sql = new PgCluster(dbs.urls);
  cleanups.push(() => sql.close());
  await migrateCluster(sql);
  return { urls: dbs.urls, sql };
}

/**
 * Moves the player's slot from shard 0 to shard 1, with this test as the mover (it holds the mover's lease, so the
 * servers' watchers do not finish or undo the move meanwhile). `whileFrozen` runs after the last copy, before the switch.
 */
async function moveToShard1(sql: PgCluster, player: string, whileFrozen: () => Promise<void>): Promise<SlotMoveResult> {
  const lease = await (sql.shards[0] as Shard).tryLease(MOVER_LEASE_KEY);
  expect(lease).toBeDefined();
  cleanups.push(async () => void (await lease?.release()));
  const slot = slotOf(player);
  const ends = { from: sql.shards[0] as Shard, to: sql.shards[1] as Shard, fromId: 0, toId: 1 };
  return moveSlot(slot, ends, {
    switchOwner: async (write) => {
      await whileFrozen();
      const { epoch, map } = await loadSlotMap(sql);
      const owners = map.toArray();
      owners[slot] = 1;
      await write({ epoch: epoch + 1, owners });
      return epoch + 1;
    },
  });
}

describe('a slot moving while processes write its player', () => {
  it('acknowledges both appends, at consecutive seqs on the new shard', async () => {
    const { urls, sql } = await twoShards();
    const one = await startRealm(urls);
    const two = await startRealm(urls);
    const player = Array.from({ length: 1000 }, (_, i) => `race-${i}`).find((id) => one.router.shardOf(id) === 0) as string;
    const add = [{ type: 'stat.add' as const, data: { stat: 'n', amount: 1 } }];
    expect(await one.players.append(player, add)).toMatchObject({ seq: 1 });

    let appends: Array<Promise<{ seq: number }>> = [];
    const moved = await moveToShard1(sql, player, async () => {
      // The slot is frozen: both processes take an append on the state they load from the old shard; it waits.
      appends = [one.players.append(player, add), two.players.append(player, add)];
      await new Promise((r) => setTimeout(r, CONTENTION_DEADLINE_MS + 500));
    });
    const outcomes = await Promise.allSettled(appends);
    expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : o.status))).toEqual(['fulfilled', 'fulfilled']);
    const seqs = outcomes.map((o) => (o as PromiseFulfilledResult<{ seq: number }>).value.seq).sort();
    expect(seqs).toEqual([2, 3]);
    await moved.clean();
    const log = await (sql.shards[1] as Shard).query<{ seq: number }>('SELECT seq FROM player_events WHERE player_id = $1 ORDER BY seq', [player]);
    expect(log.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
  }, 60_000);

  it("commits a player's append behind its earlier one held by the old shard, when it learned of the move first", async () => {
    const { urls, sql } = await twoShards();
    const realm = await startRealm(urls);
    const player = Array.from({ length: 1000 }, (_, i) => `behind-${i}`).find((id) => realm.router.shardOf(id) === 0) as string;
    const add = [{ type: 'stat.add' as const, data: { stat: 'n', amount: 1 } }];
    await realm.players.append(player, add);

    let first: Promise<{ seq: number }> | undefined;
    const moved = await moveToShard1(sql, player, async () => {
      // Seq 2 is applied and waits on the old shard (the slot is frozen).
      first = realm.players.append(player, add);
      await new Promise((r) => setTimeout(r, 300));
    });
    // This process learns of the new map before the old shard's queue finds out that the slot left it: seq 3 is
    // applied on seq 2 and routed to the new owner.
    await realm.router.reload();
    expect(realm.router.shardOf(player)).toBe(1);
    const second = await realm.players.append(player, add);
    expect(second.seq).toBe(3);
    // Acknowledged: everything under it is committed too, and the outbox (the stream's order) has it after seq 2.
    const log = await (sql.shards[1] as Shard).query<{ seq: number }>('SELECT seq FROM player_events WHERE player_id = $1 ORDER BY seq', [player]);
    expect(log.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
    expect((await first)?.seq).toBe(2);
    await moved.clean();
  }, 60_000);

  it('writes the rows that trail a commit (players row, leaderboard copy) on the new owner, never on the old shard', async () => {
    const { urls, sql } = await twoShards();
    const realm = await startRealm(urls);
    const player = Array.from({ length: 1000 }, (_, i) => `trail-${i}`).find((id) => realm.router.shardOf(id) === 0) as string;
    await realm.leaderboards.define('trail', { order: 'desc', operator: 'best', reset: 'never' });
    await realm.leaderboards.submit('trail', { playerId: player, score: 1 });
    expect(await realm.leaderboards.flushCopies(10_000)).toBe(true);
    // Committed; its `players` row waits for the write-behind (5 s).
    await realm.players.append(player, [{ type: 'stat.add', data: { stat: 'n', amount: 1 } }]);

    const moved = await moveToShard1(sql, player, async () => {
      // After the move's last copy: a new best score, whose copy the next flush (every second) would write.
      await realm.leaderboards.submit('trail', { playerId: player, score: 7 });
      await new Promise((r) => setTimeout(r, 1500));
    });
    await moved.clean();
    expect(await realm.leaderboards.flushCopies(10_000)).toBe(true);
    expect(await realm.players.flush(10_000)).toBe(true);
    const rows = async (i: number, table: string) =>
      (await (sql.shards[i] as Shard).query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE player_id = $1`, [player]))[0]?.n;
    expect({ players: await rows(0, 'players'), scores: await rows(0, 'leaderboard_scores') }).toEqual({ players: 0, scores: 0 });
    expect({ players: await rows(1, 'players'), scores: await rows(1, 'leaderboard_scores') }).toEqual({ players: 1, scores: 1 });
    const [score] = await (sql.shards[1] as Shard).query<{ score: number }>('SELECT score FROM leaderboard_scores WHERE player_id = $1', [player]);
    expect(Number(score?.score)).toBe(7);
  }, 60_000);
});
