// Pure reducers of the built-in events. `applyEvents` never changes its input: it works on one draft
// and either returns the new state or throws RejectedError (and then nothing is to be written).
import { RejectedError } from '../errors.js';
import { MAX_SAFE, type AnyPlayerEvent, type RecordedEvent, type TradeEvent, type TradeGoods } from './player-events.js';
import { draftOf, emptyState, nullProtoCopy, type PlayerState } from './player-state.js';

/** Caps that keep one player's document small enough to load, cache and snapshot quickly. */
export const STATE_LIMITS = Object.freeze({ stats: 1024, items: 1024, dataKeys: 256, trades: 256 });

function reject(index: number, message: string): never {
  throw new RejectedError(`event ${index}: ${message}`, { eventIndex: index });
}

function countKeys(map: Record<string, unknown>): number {
  let n = 0;
  for (const _ in map) n++;
  return n;
}

function ensureRoom(index: number, map: Record<string, unknown>, key: string, limit: number, what: string): void {
  if (!(key in map) && countKeys(map) >= limit) reject(index, `a player has at most ${limit} ${what}`);
}

/** Applies one event to a draft in place. `index` only labels the error. */
export function applyToDraft(draft: PlayerState, event: AnyPlayerEvent, index = 0): void {
  switch (event.type) {
    case 'trade.hold':
    case 'trade.settle':
    case 'trade.release':
    case 'trade.void':
      return applyTradeEvent(draft, event, index);
    case 'stat.add': {
      const { stat, amount } = event.data;
      const next = (draft.stats[stat] ?? 0) + amount;
      if (next < 0) reject(index, `stat "${stat}" would be ${next}, below 0`);
      if (next > MAX_SAFE) reject(index, `stat "${stat}" would exceed 2^53-1`);
      ensureRoom(index, draft.stats, stat, STATE_LIMITS.stats, 'stats');
      draft.stats[stat] = next;
      return;
    }
    case 'stat.set': {
      const { stat, value } = event.data;
      if (value < 0) reject(index, `stat "${stat}" cannot be set to ${value}, below 0`);
      ensureRoom(index, draft.stats, stat, STATE_LIMITS.stats, 'stats');
      draft.stats[stat] = value;
      return;
    }
    case 'stat.max': {
      const { stat, value } = event.data;
      if (value < 0) reject(index, `stat "${stat}" cannot be ${value}, below 0`);
      ensureRoom(index, draft.stats, stat, STATE_LIMITS.stats, 'stats');
      draft.stats[stat] = Math.max(draft.stats[stat] ?? 0, value);
      return;
    }
    case 'item.grant': {
      const { item, qty } = event.data;
      const next = (draft.items[item] ?? 0) + qty;
      if (next > MAX_SAFE) reject(index, `item "${item}" would exceed 2^53-1`);
      ensureRoom(index, draft.items, item, STATE_LIMITS.items, 'kinds of items');
      draft.items[item] = next;
      return;
    }
    case 'item.consume': {
      const { item, qty } = event.data;
      const have = draft.items[item] ?? 0;
      if (have < qty) reject(index, `cannot consume ${qty} "${item}", the player has ${have}`);
      if (have === qty) delete draft.items[item];
      else draft.items[item] = have - qty;
      return;
    }
    case 'data.set': {
      const { key, value } = event.data;
      ensureRoom(index, draft.data, key, STATE_LIMITS.dataKeys, 'data keys');
      draft.data[key] = value;
      return;
    }
    case 'data.unset': {
      delete draft.data[event.data.key];
      return;
    }
    // Realmstate's own events (anti-cheat).
    case 'state.restore': {
      draft.stats = nullProtoCopy(event.data.stats);
      draft.items = nullProtoCopy(event.data.items);
      draft.data = nullProtoCopy(structuredClone(event.data.data));
      return;
    }
    case 'player.banned':
    case 'player.unbanned':
      return;
    case 'rating.update': {
      // Absolute values, so a replay needs no rating model; the same match applied twice counts once.
      const { queue, matchId, mu, sigma } = event.data;
      draft.ratings ??= nullProtoCopy({});
      const before = draft.ratings[queue];
      const matches = (before?.matches ?? 0) + (before?.lastMatchId === matchId ? 0 : 1);
      draft.ratings[queue] = { mu, sigma, matches, lastMatchId: matchId };
      return;
    }
    default: {
      const unknown: { type: string } = event;
      reject(index, `unknown event type "${unknown.type}"`);
    }
  }
}

/**
 * Applies `events` (all or nothing) to `state` (null: the player does not exist yet).
 * Each event takes the next seq; `recordedAt` stamps createdAt (first event) and updatedAt.
 */
export function applyEvents(state: PlayerState | null, playerId: string, events: readonly AnyPlayerEvent[], recordedAt: string): PlayerState {
  const draft = state === null ? emptyState(playerId, recordedAt) : draftOf(state);
  events.forEach((event, i) => applyToDraft(draft, event, i));
  draft.seq += events.length;
  draft.updatedAt = recordedAt;
  return draft;
}

/**
 * Replays recorded events on top of `base` (null: from nothing). Events must continue base's seq without gaps;
 * this is the reference fold that served state, snapshots and `state-at` are checked against.
 */
export function replay(base: PlayerState | null, playerId: string, events: readonly RecordedEvent[]): PlayerState | null {
  if (events.length === 0) return base;
  const first = events[0] as RecordedEvent;
  const draft = base === null ? emptyState(playerId, first.recordedAt) : draftOf(base);
  for (const event of events) {
    if (event.seq !== draft.seq + 1) throw new Error(`player ${playerId}: event seq ${event.seq} does not follow ${draft.seq}`);
    applyToDraft(draft, { type: event.type, data: event.data } as AnyPlayerEvent, event.seq);
    draft.seq = event.seq;
    draft.updatedAt = event.recordedAt;
  }
  return draft;
}

/**
 * Trade events (internal). Each side's mark makes every step happen at most once per trade: a hold needs no mark,
 * settle and release need 'held' (and remove it), void needs no mark and leaves 'void' so a late hold is refused.
 * A refusal says why in `details.trade`, which the trade service reads.
 */
function applyTradeEvent(draft: PlayerState, event: TradeEvent, index: number): void {
  const { tradeId } = event.data;
  const marks = draft.trades ?? (Object.create(null) as Record<string, 'held' | 'void'>);
  const mark = marks[tradeId];
  const refuse = (trade: string, message: string): never => {
    throw new RejectedError(`event ${index}: ${message}`, { eventIndex: index, trade });
  };
  switch (event.type) {
    case 'trade.hold': {
      if (mark === 'held') refuse('held', `trade "${tradeId}" already holds this player's goods`);
      if (mark === 'void') refuse('void', `trade "${tradeId}" was closed before this player's goods were held`);
      if (countKeys(marks) >= STATE_LIMITS.trades) refuse('limit', `a player is in at most ${STATE_LIMITS.trades} trades at once`);
      const { items = {}, stats = {} } = event.data.gives;
      for (const [item, qty] of Object.entries(items)) {
        const have = draft.items[item] ?? 0;
        if (have < qty) refuse('insufficient', `the player has ${have} "${item}", the trade needs ${qty}`);
      }
      for (const [stat, qty] of Object.entries(stats)) {
        const have = draft.stats[stat] ?? 0;
        if (have < qty) refuse('insufficient', `the player has ${have} "${stat}", the trade needs ${qty}`);
      }
      for (const [item, qty] of Object.entries(items)) {
        const left = (draft.items[item] as number) - qty;
        if (left === 0) delete draft.items[item];
        else draft.items[item] = left;
      }
      for (const [stat, qty] of Object.entries(stats)) draft.stats[stat] = (draft.stats[stat] as number) - qty;
      marks[tradeId] = 'held';
      break;
    }
    case 'trade.settle':
    case 'trade.release': {
      if (mark !== 'held') refuse(mark ?? 'not_held', `trade "${tradeId}" holds nothing of this player`);
      const goods: TradeGoods = event.type === 'trade.settle' ? event.data.receives : event.data.returns;
      creditGoods(draft, goods, index);
      delete marks[tradeId];
      break;
    }
    case 'trade.void': {
      if (mark === 'held') refuse('held', `trade "${tradeId}" still holds this player's goods`);
      if (mark === undefined && countKeys(marks) >= STATE_LIMITS.trades) refuse('limit', `a player is in at most ${STATE_LIMITS.trades} trades at once`);
      marks[tradeId] = 'void';
      break;
    }
  }
  if (countKeys(marks) > 0) draft.trades = marks;
  else delete draft.trades;
}

/**
 * Goods coming out of escrow. The caps on kinds of items and stats do not apply: a decided trade must be able to
 * finish, and goods refused here would be stuck in escrow. Only 2^53−1 is a hard limit.
 */
function creditGoods(draft: PlayerState, goods: TradeGoods, index: number): void {
  for (const [item, qty] of Object.entries(goods.items ?? {})) {
    const next = (draft.items[item] ?? 0) + qty;
    if (next > MAX_SAFE) reject(index, `item "${item}" would exceed 2^53-1`);
    draft.items[item] = next;
  }
  for (const [stat, qty] of Object.entries(goods.stats ?? {})) {
    const next = (draft.stats[stat] ?? 0) + qty;
    if (next > MAX_SAFE) reject(index, `stat "${stat}" would exceed 2^53-1`);
    draft.stats[stat] = next;
  }
}
