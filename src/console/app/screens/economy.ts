// Economy and anti-cheat: the books (created, destroyed, held, balanced) per item and stat; a trade and its events
// in both players' logs; the flags with clear, ban, unban and rollback (each confirmed); the audit log.
import type { ResponseOf } from '../../../client/index.js';
import type { Screen, ScreenContext } from '../context.js';
import { badge, card, confirmAction, describe, errorBox, fill, fmt, h, json, searchBox, table, toast, when } from '../ui.js';

type Flag = ResponseOf<'listFlags'>['flags'][number];

export const economy: Screen = {
  name: 'economy',
  title: 'Economy & anti-cheat',
  render(root, ctx) {
    const books = h('div', {});
    const trade = h('div', { 'data-test': 'trade' });
    const flags = h('div', {});
    const audit = h('div', {});
    const status = h('select', { name: 'flagStatus', 'aria-label': 'flag status' }, ['open', 'cleared', 'banned'].map((s) => h('option', { value: s }, s)));
    const refresh = async () => {
      await Promise.all([showBooks(books, ctx), showFlags(flags, ctx, status.value, refresh), showAudit(audit, ctx)]);
    };
    status.addEventListener('change', () => void refresh());
    root.append(
      card('Flags', h('div', { class: 'toolbar' }, h('label', {}, 'Status ', status), unbanForm(ctx, refresh)), flags),
      card('Books', books),
      card('A trade', searchBox('Trade id', 'Show trade', (id) => void showTrade(trade, ctx, id), ctx.params[0] ?? '', 'tradeId'), trade),
      card('Audit log', audit),
    );
    if (ctx.params[0]) void showTrade(trade, ctx, ctx.params[0]);
    ctx.every(5000, refresh);
  },
};

async function showBooks(box: HTMLElement, { api }: ScreenContext): Promise<void> {
  try {
    const e = await api.getEconomy();
    const rows = (kind: string, o: Record<string, { created: number; destroyed: number; held: number; balanced: boolean }>) =>
      Object.entries(o).map(([name, b]) => [kind, name, fmt(b.created), fmt(b.destroyed), fmt(b.held), b.balanced ? badge('balanced', 'ok') : badge('NOT balanced', 'bad')]);
    const all = [...rows('item', e.items), ...rows('stat', e.stats)];
    const unbalanced = all.filter((r) => r[5] instanceof HTMLElement && r[5].classList.contains('bad')).length;
    fill(
      box,
      h('p', {}, unbalanced === 0 ? badge('every book balances', 'ok') : badge(`${unbalanced} books do not balance`, 'bad'), ` · position ${e.position} (log events included)`),
      table(['kind', 'name', 'created', 'destroyed', 'held', 'balanced'], all, { 'data-test': 'books' }),
    );
  } catch (err) {
    fill(box, errorBox(err));
  }
}

async function showTrade(box: HTMLElement, { api }: ScreenContext, tradeId: string): Promise<void> {
  try {
    const t = await api.getTrade(tradeId);
    const sides = [t.a, t.b] as Array<{ playerId: string; gives?: unknown; seq?: number | null }>;
    // The trade's events in each side's log, found by their tradeId.
    const events = (
      await Promise.all(
        sides.map(async (side) => {
          const found: Array<{ playerId: string; seq: number; type: string; data: unknown; recordedAt: string }> = [];
          let after = 0;
          for (let page = 0; page < 20; page++) {
            const p = await api.listEvents(side.playerId, { after, limit: 1000 });
            for (const e of p.events) if ((e.data as { tradeId?: string } | null)?.tradeId === tradeId) found.push({ playerId: side.playerId, ...e });
            if (p.nextAfter === null) break;
            after = p.nextAfter;
          }
          return found;
        }),
      )
    ).flat().sort((x, y) => x.recordedAt.localeCompare(y.recordedAt) || x.seq - y.seq);
    const view = t as { status: string; createdAt: string; finishedAt: string | null; reason?: string | null };
    fill(
      box,
      h('p', {}, badge(view.status, view.status === 'committed' ? 'ok' : view.status === 'pending' ? 'warn' : 'bad'), ` created ${when(view.createdAt)} · finished ${when(view.finishedAt)}`, view.reason ? ` · ${view.reason}` : ''),
      table(['side', 'player', 'gives', 'seq'], sides.map((s, i) => [i === 0 ? 'a' : 'b', h('a', { href: `#/players/${encodeURIComponent(s.playerId)}` }, s.playerId), h('code', {}, JSON.stringify(s.gives ?? {})), s.seq == null ? '–' : String(s.seq)])),
      h('h4', {}, 'Timeline'),
      table(['at', 'player', 'seq', 'event', 'data'], events.map((e) => [when(e.recordedAt), e.playerId, String(e.seq), h('code', {}, e.type), h('code', { class: 'clip' }, JSON.stringify(e.data))]), { 'data-test': 'trade-timeline' }),
      h('details', {}, h('summary', {}, 'Raw JSON'), json(t)),
    );
  } catch (err) {
    fill(box, errorBox(err));
  }
}

async function showFlags(box: HTMLElement, ctx: ScreenContext, status: string, refresh: () => Promise<void>): Promise<void> {
  const { api } = ctx;
  let list: Flag[];
  try {
    list = (await api.listFlags({ status: status as 'open', limit: 100 })).flags;
  } catch (err) {
    fill(box, errorBox(err));
    return;
  }
  const act = async (run: () => Promise<unknown>, done: string) => {
    try {
      await run();
      toast(done);
    } catch (err) {
      toast(describe(err), 'bad');
    }
    await refresh();
  };
  fill(
    box,
    table(
      ['at', 'player', 'rule', 'action', 'status', 'details', ''],
      list.map((f) => [
        when(f.at),
        h('a', { href: `#/players/${encodeURIComponent(f.playerId)}` }, f.playerId),
        f.rule,
        f.action,
        badge(f.status, f.status === 'open' ? 'warn' : f.status === 'banned' ? 'bad' : 'ok'),
        h('code', { class: 'clip' }, JSON.stringify(f.details)),
        h('div', { class: 'row-actions' },
          f.status === 'open'
            ? [
                h('button', { class: 'secondary small', onclick: async () => { if (await confirmAction('Clear the flag', `Clear flag ${f.rule} of ${f.playerId}: a score it held goes onto its board.`, [], false)) await act(() => api.clearFlag(f.id), `Flag of ${f.playerId} cleared`); } }, 'Clear…'),
                h('button', { class: 'danger small', onclick: async () => { const ok = await confirmAction('Ban', `Ban ${f.playerId}: its scores leave every board and its writes are refused.`, [{ name: 'reason', label: 'Reason', value: `rule ${f.rule}` }]); if (ok) await act(() => api.banPlayer(f.playerId, ok.reason as string), `${f.playerId} banned`); } }, 'Ban…'),
                h('button', {
                  class: 'danger small',
                  onclick: async () => {
                    const ok = await confirmAction('Roll back', `Bring ${f.playerId}'s state back to an earlier seq with one state.restore event.`, [{ name: 'toSeq', label: 'To seq', type: 'number' }, { name: 'reason', label: 'Reason', value: `rule ${f.rule}` }]);
                    if (ok) await act(() => api.rollbackPlayer(f.playerId, Number(ok.toSeq), ok.reason as string), `${f.playerId} rolled back to seq ${ok.toSeq}`);
                  },
                }, 'Roll back…'),
              ]
            : f.status === 'banned'
              ? h('button', { class: 'secondary small', onclick: async () => { const ok = await confirmAction('Unban', `Lift ${f.playerId}'s ban: its scores come back.`, [{ name: 'reason', label: 'Reason', required: false }], false); if (ok) await act(() => api.unbanPlayer(f.playerId, ok.reason || undefined), `${f.playerId} unbanned`); } }, 'Unban…')
              : null,
        ),
      ]),
      { 'data-test': 'flags' },
    ),
  );
}

function unbanForm(ctx: ScreenContext, refresh: () => Promise<void>): HTMLElement {
  return searchBox('Player id to unban', 'Unban…', async (id) => {
    const ok = await confirmAction('Unban', `Lift ${id}'s ban: its scores come back.`, [{ name: 'reason', label: 'Reason', required: false }], false);
    if (!ok) return;
    try {
      await ctx.api.unbanPlayer(id, ok.reason || undefined);
      toast(`${id} unbanned`);
    } catch (err) {
      toast(describe(err), 'bad');
    }
    await refresh();
  });
}

async function showAudit(box: HTMLElement, { api }: ScreenContext): Promise<void> {
  try {
    const { entries } = await api.listAudit({ limit: 50 });
    fill(box, table(['at', 'key', 'action', 'target', 'outcome'], entries.map((e) => [when(e.at), e.key, h('code', {}, e.action), e.target, e.outcome === 'ok' ? badge('ok', 'ok') : badge(e.outcome, 'bad')]), { 'data-test': 'audit' }));
  } catch (err) {
    fill(box, errorBox(err));
  }
}
