// The pure fold behind the economy's books: what each player's events created, destroyed and moved in and out of
// trades. The stream projection and the rebuild from the logs both use it, so they cannot disagree.
import type { TradeGoods } from '../players/index.js';

export type Counts = Record<string, number>;

/** What the books know of one player: its holdings and what its own events created and destroyed. */
export interface PlayerBook {
  items: Counts;
  stats: Counts;
  created: { items: Counts; stats: Counts };
  destroyed: { items: Counts; stats: Counts };
}

/** Goods entering a trade's escrow (a giver's hold) or leaving it (the other side's settle, the giver's release). */
export interface EscrowMove {
  tradeId: string;
  giver: string;
  dir: 'in' | 'out';
  goods: TradeGoods;
}

/** One trade side's escrow: `ins` holds and `outs` settles/releases seen; it holds `goods` while ins > outs. */
export interface EscrowSide {
  goods: TradeGoods | null;
  ins: number;
  outs: number;
}

export interface BookLine {
  created: number;
  destroyed: number;
  held: number;
  balanced: boolean;
}

export interface EconomyTotals {
  items: Record<string, BookLine>;
  stats: Record<string, BookLine>;
}

const blank = (): Counts => Object.create(null) as Counts;

export function emptyBook(): PlayerBook {
  return { items: blank(), stats: blank(), created: { items: blank(), stats: blank() }, destroyed: { items: blank(), stats: blank() } };
}

/** A book read back from JSON, with maps safe for any key name. */
export function reviveBook(raw: Partial<PlayerBook> | null | undefined): PlayerBook {
  const copy = (m: Counts | undefined) => Object.assign(blank(), m);
  return {
    items: copy(raw?.items),
    stats: copy(raw?.stats),
    created: { items: copy(raw?.created?.items), stats: copy(raw?.created?.stats) },
    destroyed: { items: copy(raw?.destroyed?.items), stats: copy(raw?.destroyed?.stats) },
  };
}

function bump(map: Counts, key: string, by: number): void {
  const next = (map[key] ?? 0) + by;
  if (next === 0) delete map[key];
  else map[key] = next;
}

/** A change of a holding: a rise is creation, a fall destruction. */
function change(book: PlayerBook, kind: 'items' | 'stats', key: string, delta: number): void {
  if (delta === 0) return;
  bump(book[kind], key, delta);
  if (delta > 0) bump(book.created[kind], key, delta);
  else bump(book.destroyed[kind], key, -delta);
}

/** Goods moving between the player and a trade: no creation, no destruction. */
function move(book: PlayerBook, goods: TradeGoods, sign: 1 | -1): void {
  for (const [k, q] of Object.entries(goods.items ?? {})) bump(book.items, k, sign * q);
  for (const [k, q] of Object.entries(goods.stats ?? {})) bump(book.stats, k, sign * q);
}

/**
 * Applies one committed event of `playerId` to its book (in place) and returns the escrow moves it makes.
 * Events of types the books do not know change nothing here.
 */
export function applyToBook(book: PlayerBook, playerId: string, type: string, data: unknown): EscrowMove[] {
  const d = data as Record<string, unknown>;
  switch (type) {
    case 'stat.add':
      change(book, 'stats', d.stat as string, d.amount as number);
      return [];
    case 'stat.set': {
      const stat = d.stat as string;
      change(book, 'stats', stat, (d.value as number) - (book.stats[stat] ?? 0));
      return [];
    }
    case 'stat.max': {
      const stat = d.stat as string;
      const now = book.stats[stat] ?? 0;
      change(book, 'stats', stat, Math.max(now, d.value as number) - now);
      return [];
    }
    case 'item.grant':
      change(book, 'items', d.item as string, d.qty as number);
      return [];
    case 'item.consume':
      change(book, 'items', d.item as string, -(d.qty as number));
      return [];
    case 'trade.hold': {
      const goods = d.gives as TradeGoods;
      move(book, goods, -1);
      return [{ tradeId: d.tradeId as string, giver: playerId, dir: 'in', goods }];
    }
    case 'trade.settle': {
      const goods = d.receives as TradeGoods;
      move(book, goods, 1);
      return [{ tradeId: d.tradeId as string, giver: d.from as string, dir: 'out', goods }];
    }
    case 'trade.release': {
      const goods = d.returns as TradeGoods;
      move(book, goods, 1);
      return [{ tradeId: d.tradeId as string, giver: playerId, dir: 'out', goods }];
    }
    case 'state.restore': {
      // A per-player rollback (anti-cheat) sets holdings outright: what it adds is created, what it takes destroyed.
      // Goods held in trades are not part of it.
      for (const kind of ['items', 'stats'] as const) {
        const target = (d[kind] ?? {}) as Counts;
        for (const key of new Set([...Object.keys(book[kind]), ...Object.keys(target)])) change(book, kind, key, (target[key] ?? 0) - (book[kind][key] ?? 0));
      }
      return [];
    }
    default:
      return [];
  }
}

export function escrowKey(tradeId: string, giver: string): string {
  return JSON.stringify([tradeId, giver]);
}

/** Adds moves to a map of escrow sides; sides whose every hold was taken out are dropped (a later out still shows). */
export function addEscrowMoves(sides: Map<string, EscrowSide>, moves: readonly EscrowMove[]): void {
  for (const m of moves) {
    const key = escrowKey(m.tradeId, m.giver);
    const side = sides.get(key) ?? { goods: null, ins: 0, outs: 0 };
    side.goods ??= m.goods;
    if (m.dir === 'in') side.ins++;
    else side.outs++;
    if (side.ins > 0 && side.ins === side.outs) sides.delete(key);
    else sides.set(key, side);
  }
}

/**
 * The books: per item and stat, created and destroyed by the players' events, and held by players plus trades in
 * flight. `balanced` is created − destroyed = held. Goods that left a trade more often than they entered it (a
 * duplicated settle or a settle and a release of the same goods) are in a player's holdings without having been
 * created, so they unbalance the line.
 */
export function totalsOf(books: Iterable<PlayerBook>, escrow: Iterable<EscrowSide>): EconomyTotals {
  const lines = { items: new Map<string, BookLine>(), stats: new Map<string, BookLine>() };
  const line = (kind: 'items' | 'stats', key: string): BookLine => {
    let l = lines[kind].get(key);
    if (!l) lines[kind].set(key, (l = { created: 0, destroyed: 0, held: 0, balanced: true }));
    return l;
  };
  for (const book of books) {
    for (const kind of ['items', 'stats'] as const) {
      for (const [k, q] of Object.entries(book.created[kind])) line(kind, k).created += q;
      for (const [k, q] of Object.entries(book.destroyed[kind])) line(kind, k).destroyed += q;
      for (const [k, q] of Object.entries(book[kind])) line(kind, k).held += q;
    }
  }
  for (const side of escrow) {
    const times = Math.max(side.ins - side.outs, 0);
    if (times === 0 || !side.goods) continue;
    for (const [k, q] of Object.entries(side.goods.items ?? {})) line('items', k).held += q * times;
    for (const [k, q] of Object.entries(side.goods.stats ?? {})) line('stats', k).held += q * times;
  }
  const out: EconomyTotals = { items: {}, stats: {} };
  for (const kind of ['items', 'stats'] as const) {
    for (const key of [...lines[kind].keys()].sort()) {
      const l = lines[kind].get(key) as BookLine;
      l.balanced = l.created - l.destroyed === l.held;
      out[kind][key] = l;
    }
  }
  return out;
}
