import { describe, expect, it } from 'vitest';
import { RejectedError } from '../../src/errors.js';
import { applyEvents, appendRequestSchema, playerEventSchema, replay, STATE_LIMITS, type PlayerEvent, type RecordedEvent } from '../../src/players/index.js';

const T0 = '2026-11-26T10:00:00.000Z';
const T1 = '2026-11-26T10:00:01.000Z';

describe('reducers', () => {
  it('creates a player with its first events, seq counting each event', () => {
    const s = applyEvents(null, 'p1', [
      { type: 'stat.add', data: { stat: 'xp', amount: 120 } },
      { type: 'item.grant', data: { item: 'sword', qty: 1 } },
      { type: 'data.set', data: { key: 'name', value: 'Aria' } },
    ], T0);
    expect(s).toMatchObject({ playerId: 'p1', seq: 3, stats: { xp: 120 }, items: { sword: 1 }, data: { name: 'Aria' }, createdAt: T0, updatedAt: T0 });
  });

  it('applies every built-in type', () => {
    let s = applyEvents(null, 'p1', [{ type: 'stat.set', data: { stat: 'gold', value: 5 } }], T0);
    s = applyEvents(s, 'p1', [
      { type: 'stat.add', data: { stat: 'gold', amount: -5 } },
      { type: 'stat.max', data: { stat: 'best', value: 10 } },
      { type: 'stat.max', data: { stat: 'best', value: 7 } },
      { type: 'item.grant', data: { item: 'potion', qty: 3 } },
      { type: 'item.consume', data: { item: 'potion', qty: 3 } },
      { type: 'data.set', data: { key: 'k', value: { a: [1, 2] } } },
      { type: 'data.unset', data: { key: 'k' } },
      { type: 'data.unset', data: { key: 'never-set' } },
    ], T1);
    expect(s.seq).toBe(9);
    expect({ ...s.stats }).toEqual({ gold: 0, best: 10 });
    expect({ ...s.items }).toEqual({});
    expect({ ...s.data }).toEqual({});
    expect(s.createdAt).toBe(T0);
    expect(s.updatedAt).toBe(T1);
  });

  it('rejects what breaks an invariant, all or nothing, without touching the input', () => {
    const s = applyEvents(null, 'p1', [{ type: 'item.grant', data: { item: 'potion', qty: 1 } }, { type: 'stat.set', data: { stat: 'hp', value: 3 } }], T0);
    const frozen = JSON.stringify(s);
    const cases: PlayerEvent[][] = [
      [{ type: 'item.consume', data: { item: 'potion', qty: 2 } }],
      [{ type: 'stat.add', data: { stat: 'hp', amount: 1 } }, { type: 'stat.add', data: { stat: 'hp', amount: -5 } }],
      [{ type: 'stat.set', data: { stat: 'hp', value: -1 } }],
      [{ type: 'stat.add', data: { stat: 'hp', amount: Number.MAX_SAFE_INTEGER } }],
      [{ type: 'item.grant', data: { item: 'potion', qty: Number.MAX_SAFE_INTEGER } }],
      [{ type: 'item.consume', data: { item: 'shield', qty: 1 } }],
    ];
    for (const events of cases) {
      expect(() => applyEvents(s, 'p1', events, T1)).toThrow(RejectedError);
      expect(JSON.stringify(s)).toBe(frozen);
    }
  });

  it('treats names like __proto__ and constructor as plain keys', () => {
    const s = applyEvents(null, 'p1', [
      { type: 'stat.add', data: { stat: '__proto__', amount: 2 } },
      { type: 'stat.add', data: { stat: 'constructor', amount: 1 } },
      { type: 'item.grant', data: { item: 'toString', qty: 1 } },
    ], T0);
    expect(s.stats['__proto__']).toBe(2);
    expect(s.stats['constructor']).toBe(1);
    expect(s.items['toString']).toBe(1);
    expect(JSON.parse(JSON.stringify(s)).stats).toEqual(JSON.parse('{"__proto__":2,"constructor":1}'));
    expect(() => applyEvents(s, 'p1', [{ type: 'item.consume', data: { item: 'hasOwnProperty', qty: 1 } }], T1)).toThrow(RejectedError);
  });

  it('caps the number of keys a player may hold', () => {
    const many: PlayerEvent[] = Array.from({ length: STATE_LIMITS.dataKeys }, (_, i) => ({ type: 'data.set', data: { key: `k${i}`, value: i } }));
    const s = applyEvents(null, 'p1', many, T0);
    expect(() => applyEvents(s, 'p1', [{ type: 'data.set', data: { key: 'one-more', value: 1 } }], T1)).toThrow(RejectedError);
    expect(applyEvents(s, 'p1', [{ type: 'data.set', data: { key: 'k0', value: 'replaced' } }], T1).data.k0).toBe('replaced');
  });

  it('replay of the recorded events equals the applied state', () => {
    const batches: PlayerEvent[][] = [
      [{ type: 'stat.add', data: { stat: 'xp', amount: 5 } }],
      [{ type: 'item.grant', data: { item: 'a', qty: 2 } }, { type: 'stat.max', data: { stat: 'lvl', value: 3 } }],
      [{ type: 'item.consume', data: { item: 'a', qty: 1 } }, { type: 'data.set', data: { key: 'r', value: 'eu' } }],
    ];
    let state = null as ReturnType<typeof applyEvents> | null;
    const log: RecordedEvent[] = [];
    batches.forEach((events, b) => {
      const at = `2026-11-26T10:00:0${b}.000Z`;
      events.forEach((e) => log.push({ seq: log.length + 1, type: e.type, data: e.data, recordedAt: at }));
      state = applyEvents(state, 'p1', events, at);
    });
    expect(replay(null, 'p1', log)).toEqual(state);
    expect(replay(null, 'p1', log.slice(0, 2))?.seq).toBe(2);
    expect(() => replay(null, 'p1', log.slice(1))).toThrow(/does not follow/);
  });
});

describe('event schema', () => {
  const ok = (v: unknown) => playerEventSchema.safeParse(v).success;

  it('accepts the documented shapes', () => {
    expect(ok({ type: 'stat.add', data: { stat: 'xp', amount: -3 } })).toBe(true);
    expect(ok({ type: 'data.set', data: { key: 'k', value: null } })).toBe(true);
    expect(ok({ type: 'data.set', data: { key: 'k', value: [1, 'a', { b: true }] } })).toBe(true);
  });

  it('rejects unknown types, bad names, unsafe or fractional numbers, extra fields, big values', () => {
    expect(ok({ type: 'stat.mul', data: { stat: 'xp', amount: 2 } })).toBe(false);
    expect(ok({ type: 'stat.add', data: { stat: 'x p', amount: 1 } })).toBe(false);
    expect(ok({ type: 'stat.add', data: { stat: 'a'.repeat(65), amount: 1 } })).toBe(false);
    expect(ok({ type: 'stat.add', data: { stat: 'xp', amount: 1.5 } })).toBe(false);
    expect(ok({ type: 'stat.add', data: { stat: 'xp', amount: 2 ** 53 } })).toBe(false);
    expect(ok({ type: 'stat.add', data: { stat: 'xp', amount: '1' } })).toBe(false);
    expect(ok({ type: 'stat.add', data: { stat: 'xp', amount: 1, extra: 1 } })).toBe(false);
    expect(ok({ type: 'item.grant', data: { item: 'a', qty: 0 } })).toBe(false);
    expect(ok({ type: 'data.set', data: { key: 'k' } })).toBe(false);
    expect(ok({ type: 'data.set', data: { key: 'k', value: 'x'.repeat(17 * 1024) } })).toBe(false);
  });

  it('bounds a request to 1–100 events', () => {
    const e = { type: 'stat.add', data: { stat: 'xp', amount: 1 } };
    expect(appendRequestSchema.safeParse({ events: [] }).success).toBe(false);
    expect(appendRequestSchema.safeParse({ events: Array(100).fill(e) }).success).toBe(true);
    expect(appendRequestSchema.safeParse({ events: Array(101).fill(e) }).success).toBe(false);
    expect(appendRequestSchema.safeParse({ events: [e], durability: 'eventually' }).success).toBe(false);
    expect(appendRequestSchema.safeParse({ events: [e], expectedSeq: -1 }).success).toBe(false);
  });
});

describe("Realmstate's own events", () => {
  it('state.restore replaces stats, items and data; bans change nothing but take a seq; replay agrees', () => {
    const events: RecordedEvent[] = [
      { seq: 1, type: 'stat.add', data: { stat: 'xp', amount: 5 }, recordedAt: T0 },
      { seq: 2, type: 'item.grant', data: { item: 'sword', qty: 1 }, recordedAt: T0 },
      { seq: 3, type: 'data.set', data: { key: 'constructor', value: { a: 1 } }, recordedAt: T0 },
      { seq: 4, type: 'player.banned', data: { reason: 'x' }, recordedAt: T1 },
      { seq: 5, type: 'state.restore', data: { toSeq: 1, stats: { xp: 5 }, items: {}, data: {}, reason: 'y' }, recordedAt: T1 },
    ];
    const at4 = replay(null, 'p1', events.slice(0, 4));
    expect(at4).toMatchObject({ seq: 4, stats: { xp: 5 }, items: { sword: 1 } });
    const at5 = replay(null, 'p1', events);
    expect(at5).toMatchObject({ seq: 5, stats: { xp: 5 }, items: {}, data: {}, createdAt: T0, updatedAt: T1 });
    // The restored maps are safe maps again (no prototype to read "constructor" from).
    expect(at5?.data.constructor).toBeUndefined();
  });

  it('are not accepted by the public append schema', () => {
    expect(playerEventSchema.safeParse({ type: 'state.restore', data: { toSeq: 1, stats: {}, items: {}, data: {}, reason: 'x' } }).success).toBe(false);
    expect(playerEventSchema.safeParse({ type: 'player.banned', data: { reason: 'x' } }).success).toBe(false);
  });
});
