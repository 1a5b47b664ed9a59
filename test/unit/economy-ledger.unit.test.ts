// The books' fold: balanced for a clean history, in any order across players, and unbalanced by a duplication.
import { describe, expect, it } from 'vitest';
import { addEscrowMoves, applyToBook, emptyBook, totalsOf, type EscrowSide, type PlayerBook } from '../../src/economy/ledger.js';

type Ev = [player: string, type: string, data: unknown];

function fold(events: readonly Ev[]) {
  const books = new Map<string, PlayerBook>();
  const escrow = new Map<string, EscrowSide>();
  for (const [player, type, data] of events) {
    const book = books.get(player) ?? emptyBook();
    books.set(player, book);
    addEscrowMoves(escrow, applyToBook(book, player, type, data));
  }
  return { totals: totalsOf(books.values(), escrow.values()), books, escrow };
}

const setup: Ev[] = [
  ['a', 'item.grant', { item: 'sword', qty: 2 }],
  ['b', 'stat.set', { stat: 'gold', value: 500 }],
];
const hold: Ev[] = [
  ['a', 'trade.hold', { tradeId: 't1', with: 'b', gives: { items: { sword: 1 } } }],
  ['b', 'trade.hold', { tradeId: 't1', with: 'a', gives: { stats: { gold: 200 } } }],
];
const settle: Ev[] = [
  ['a', 'trade.settle', { tradeId: 't1', from: 'b', receives: { stats: { gold: 200 } } }],
  ['b', 'trade.settle', { tradeId: 't1', from: 'a', receives: { items: { sword: 1 } } }],
];

describe('economy ledger', () => {
  it('counts creation and destruction, including stat.set and stat.max against the value before', () => {
    const { totals } = fold([
      ...setup,
      ['b', 'stat.set', { stat: 'gold', value: 300 }],
      ['b', 'stat.max', { stat: 'gold', value: 450 }],
      ['b', 'stat.max', { stat: 'gold', value: 10 }],
      ['a', 'item.consume', { item: 'sword', qty: 1 }],
      ['a', 'stat.add', { stat: 'gold', amount: 7 }],
      ['a', 'stat.add', { stat: 'gold', amount: -7 }],
    ]);
    expect(totals.items.sword).toEqual({ created: 2, destroyed: 1, held: 1, balanced: true });
    expect(totals.stats.gold).toEqual({ created: 500 + 150 + 7, destroyed: 200 + 7, held: 450, balanced: true });
  });

  it('counts a per-player rollback (state.restore) as creation and destruction', () => {
    const { totals } = fold([...setup, ['a', 'item.grant', { item: 'sword', qty: 3 }], ['a', 'state.restore', { toSeq: 1, stats: { gold: 5 }, items: { sword: 2 }, data: {}, reason: 'dupe' }]]);
    expect(totals.items.sword).toEqual({ created: 5, destroyed: 3, held: 2, balanced: true });
    expect(totals.stats.gold).toEqual({ created: 505, destroyed: 0, held: 505, balanced: true });
  });

  it('keeps goods in escrow while a trade is pending and balances through a settle', () => {
    const pending = fold([...setup, ...hold]);
    expect(pending.totals.items.sword).toEqual({ created: 2, destroyed: 0, held: 2, balanced: true });
    expect(pending.books.get('a')?.items.sword).toBe(1);
    const done = fold([...setup, ...hold, ...settle]);
    expect(done.totals.items.sword?.balanced).toBe(true);
    expect(done.books.get('b')?.items.sword).toBe(1);
    expect(done.escrow.size).toBe(0);
  });

  it('balances whatever the order of different players’ events', () => {
    const reordered = fold([...setup, settle[1] as Ev, hold[1] as Ev, hold[0] as Ev, settle[0] as Ev]);
    expect(reordered.totals).toEqual(fold([...setup, ...hold, ...settle]).totals);
  });

  it('shows a duplicated settle, or a settle and a release of the same goods, as unbalanced', () => {
    const dupe = fold([...setup, ...hold, ...settle, settle[1] as Ev]);
    expect(dupe.totals.items.sword).toMatchObject({ created: 2, held: 3, balanced: false });
    const both = fold([...setup, ...hold, ...settle, ['a', 'trade.release', { tradeId: 't1', returns: { items: { sword: 1 } } }]]);
    expect(both.totals.items.sword?.balanced).toBe(false);
  });
});
