// The trade events' reducers: each step at most once per trade and player, held goods not spendable, a fence that
// refuses a late hold; and the public append schema refuses the internal types.
import { describe, expect, it } from 'vitest';
import { RejectedError } from '../../src/errors.js';
import { appendRequestSchema, applyEvents, replay, type PlayerState, type AnyPlayerEvent } from '../../src/players/index.js';

const at = '2026-01-01T00:00:00.000Z';
const start = applyEvents(null, 'p', [{ type: 'item.grant', data: { item: 'sword', qty: 1 } }, { type: 'stat.set', data: { stat: 'gold', value: 10 } }], at);
const hold: AnyPlayerEvent = { type: 'trade.hold', data: { tradeId: 't', with: 'q', gives: { items: { sword: 1 }, stats: { gold: 4 } } } };

function refusal(state: PlayerState, event: AnyPlayerEvent): unknown {
  try {
    applyEvents(state, 'p', [event], at);
  } catch (err) {
    expect(err).toBeInstanceOf(RejectedError);
    return (err as RejectedError).details.trade;
  }
  return 'accepted';
}

describe('trade reducers', () => {
  it('a hold takes the goods out of the state and marks the trade', () => {
    const held = applyEvents(start, 'p', [hold], at);
    expect(held.items).toEqual({});
    expect(held.stats).toEqual({ gold: 6 });
    expect(held.trades).toEqual({ t: 'held' });
    expect(() => applyEvents(held, 'p', [{ type: 'item.consume', data: { item: 'sword', qty: 1 } }], at)).toThrow(RejectedError);
    expect(refusal(held, hold)).toBe('held');
  });

  it('refuses a hold the player cannot cover, changing nothing', () => {
    expect(refusal(start, { type: 'trade.hold', data: { tradeId: 't', with: 'q', gives: { stats: { gold: 11 } } } })).toBe('insufficient');
  });

  it('settles or releases once, and void fences a late hold', () => {
    const held = applyEvents(start, 'p', [hold], at);
    const settled = applyEvents(held, 'p', [{ type: 'trade.settle', data: { tradeId: 't', from: 'q', receives: { items: { shield: 1 } } } }], at);
    expect(settled.items).toEqual({ shield: 1 });
    expect(settled.trades).toBeUndefined();
    expect(refusal(settled, { type: 'trade.settle', data: { tradeId: 't', from: 'q', receives: { items: { shield: 1 } } } })).toBe('not_held');
    expect(refusal(settled, { type: 'trade.release', data: { tradeId: 't', returns: { items: { sword: 1 } } } })).toBe('not_held');
    const released = applyEvents(held, 'p', [{ type: 'trade.release', data: { tradeId: 't', returns: hold.data.gives } } as AnyPlayerEvent], at);
    expect(released.items).toEqual(start.items);
    expect(released.stats).toEqual(start.stats);
    const fenced = applyEvents(start, 'p', [{ type: 'trade.void', data: { tradeId: 't' } }], at);
    expect(refusal(fenced, hold)).toBe('void');
    expect(refusal(held, { type: 'trade.void', data: { tradeId: 't' } })).toBe('held');
  });

  it('replays trade events to the same state', () => {
    const events: AnyPlayerEvent[] = [{ type: 'item.grant', data: { item: 'sword', qty: 1 } }, { type: 'stat.set', data: { stat: 'gold', value: 10 } }, hold];
    const served = applyEvents(null, 'p', events, at);
    const replayed = replay(null, 'p', events.map((e, i) => ({ seq: i + 1, type: e.type, data: e.data, recordedAt: at })));
    expect(replayed).toEqual(served);
  });

  it('the public append route refuses the internal types', () => {
    expect(appendRequestSchema.safeParse({ events: [hold] }).success).toBe(false);
  });
});
