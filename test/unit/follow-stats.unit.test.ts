// Boards that follow a player stat (followStats) and boards declared by the game config (setConfigBoards),
// on the embedded store and an in-memory PGlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySortedSets } from '../../src/backends/memory/index.js';
import { migrateCluster } from '../../src/backends/postgres/index.js';
import { LeaderboardService } from '../../src/leaderboards/index.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import type { PlayerState, RecordedEvent } from '../../src/players/index.js';
import { ShardRouter, SlotMap } from '../../src/sharding/index.js';
import { openTestCluster, type TestCluster } from '../helpers/backends.js';

function state(playerId: string, stats: Record<string, number>, data: PlayerState['data'] = {}): PlayerState {
  return { playerId, seq: 1, stats, items: {}, data, createdAt: '2026-11-26T00:00:00.000Z', updatedAt: '2026-11-26T00:00:00.000Z' };
}

let seq = 0;
function event(type: RecordedEvent['type'], data: RecordedEvent['data']): RecordedEvent {
  return { seq: ++seq, type, data, recordedAt: '2026-11-26T00:00:00.000Z' };
}

describe('followStats and setConfigBoards', () => {
  let cluster: TestCluster;
  let service: LeaderboardService;
  const clock = { ms: Date.UTC(2026, 10, 26, 8), now() { return this.ms; } };
  const top = async (board: string, region?: string) => (await service.top(board, { limit: 100, region })).entries.map((e) => [e.playerId, e.score]);

  beforeAll(async () => {
    cluster = await openTestCluster('pglite', 1);
    await migrateCluster(cluster.cluster);
    service = new LeaderboardService({
      stores: { default: new MemorySortedSets() }, sql: cluster.cluster, router: new ShardRouter(SlotMap.even(1)), metrics: new Metrics(), log: silentLogger, clock,
    });
    await service.start();
    await service.define('kills-best', { order: 'desc', operator: 'best', reset: 'never', stat: 'kills' });
    await service.define('plain', { order: 'desc', operator: 'best', reset: 'never' });
    service.setConfigBoards([
      { id: 'kills-now', order: 'desc', operator: 'set', reset: 'weekly', stat: 'kills', regions: ['eu', 'na'] },
      { id: 'xp', order: 'desc', operator: 'incr', reset: 'never', stat: 'xp' },
    ]);
  });
  afterAll(async () => {
    await service?.close();
    await cluster?.cleanup();
  });

  it('sets the score of every board following a touched stat, in the player’s region', async () => {
    await service.followStats(state('aria', { kills: 5, xp: 100 }, { region: 'eu' }), [event('stat.add', { stat: 'kills', amount: 5 })]);
    expect(await top('kills-best')).toEqual([['aria', 5]]);
    expect(await top('kills-now')).toEqual([['aria', 5]]);
    expect(await top('kills-now', 'eu')).toEqual([['aria', 5]]);
    // xp was not touched by these events, and 'plain' follows nothing.
    expect(await top('xp')).toEqual([]);
    expect(await top('plain')).toEqual([]);

    await service.followStats(state('aria', { kills: 5, xp: 100 }, { region: 'eu' }), [event('stat.set', { stat: 'xp', value: 100 })]);
    // An incr board following a stat takes the stat's value; it does not add it up.
    await service.followStats(state('aria', { kills: 5, xp: 100 }, { region: 'eu' }), [event('stat.max', { stat: 'xp', value: 100 })]);
    expect(await top('xp')).toEqual([['aria', 100]]);
  });

  it('is idempotent: the same state again changes nothing, not even who got there first', async () => {
    await service.followStats(state('bran', { kills: 5 }, { region: 'eu' }), [event('stat.add', { stat: 'kills', amount: 5 })]);
    const pending = service.pendingCopies;
    await service.followStats(state('aria', { kills: 5, xp: 100 }, { region: 'eu' }), [event('stat.add', { stat: 'kills', amount: 0 })]);
    await service.followStats(state('aria', { kills: 5, xp: 100 }, { region: 'eu' }), [event('stat.add', { stat: 'kills', amount: 0 })]);
    expect(await top('kills-best')).toEqual([['aria', 5], ['bran', 5]]);
    expect(await top('kills-now')).toEqual([['aria', 5], ['bran', 5]]);
    expect(service.pendingCopies).toBe(pending);
  });

  it('follows the operator: a best board keeps the best value, a set board the current one; a region change moves the player', async () => {
    await service.followStats(state('aria', { kills: 2 }, { region: 'na' }), [event('stat.set', { stat: 'kills', value: 2 })]);
    expect(await top('kills-best')).toEqual([['aria', 5], ['bran', 5]]);
    expect(await top('kills-now')).toEqual([['bran', 5], ['aria', 2]]);
    expect(await top('kills-now', 'eu')).toEqual([['bran', 5]]);
    expect(await top('kills-now', 'na')).toEqual([['aria', 2]]);
  });

  it('skips a regional board when data.region is missing or not one of its regions', async () => {
    await service.followStats(state('cato', { kills: 9 }, { region: 'mars' }), [event('stat.add', { stat: 'kills', amount: 9 })]);
    await service.followStats(state('dana', { kills: 8 }), [event('stat.add', { stat: 'kills', amount: 8 })]);
    await service.followStats(state('eve', { kills: 7 }, { region: 42 }), [event('stat.add', { stat: 'kills', amount: 7 })]);
    expect(await top('kills-best')).toEqual([['cato', 9], ['dana', 8], ['eve', 7], ['aria', 5], ['bran', 5]]);
    expect((await top('kills-now')).map(([id]) => id)).toEqual(['bran', 'aria']);
  });

  it('ignores events that touch no stat', async () => {
    const pending = service.pendingCopies;
    await service.followStats(state('fin', { kills: 50 }, { region: 'eu' }), [event('item.grant', { item: 'sword', qty: 1 }), event('data.set', { key: 'region', value: 'eu' })]);
    await service.followStats(state('fin', { kills: 50 }, { region: 'eu' }), []);
    expect(service.pendingCopies).toBe(pending);
    await expect(service.player('kills-best', 'fin')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('setConfigBoards replaces the config boards; a PUT board with the same id wins', async () => {
    const ids = () => service.list().map((b) => `${b.board}:${b.operator}`);
    expect(ids()).toEqual(['kills-best:best', 'kills-now:set', 'plain:best', 'xp:incr']);
    service.setConfigBoards([
      { id: 'plain', order: 'asc', operator: 'set', reset: 'daily' },
      { id: 'arena', order: 'desc', operator: 'best', reset: 'weekly', regions: ['eu'] },
    ]);
    expect(ids()).toEqual(['arena:best', 'kills-best:best', 'plain:best']);
    expect(service.list().find((b) => b.board === 'arena')).toEqual({
      board: 'arena', order: 'desc', operator: 'best', reset: 'weekly', regions: ['eu'], stat: null, season: '2026-W48',
    });
    // Scores of a board that left the config stay in PostgreSQL; the board itself is gone.
    await expect(service.top('xp', { limit: 1 })).rejects.toMatchObject({ code: 'not_found' });
    expect((await service.submit('arena', { playerId: 'gus', score: 3, region: 'eu' })).rank).toBe(1);
    service.setConfigBoards([]);
    expect(ids()).toEqual(['kills-best:best', 'plain:best']);
  });
});
