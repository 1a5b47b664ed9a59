// Leaderboards: every board with its season and regions; a board's top N (globally or in a region), the entries
// around a player, a past season, and a rebuild from PostgreSQL (confirmed first).
import type { ResponseOf } from '../../../client/index.js';
import type { Screen, ScreenContext } from '../context.js';
import { previousSeason } from '../seasons.js';
import { badge, card, confirmAction, describe, errorBox, fill, fmt, h, table, toast } from '../ui.js';

type Board = ResponseOf<'listLeaderboards'>['leaderboards'][number];

export const leaderboards: Screen = {
  name: 'leaderboards',
  title: 'Leaderboards',
  render(root, ctx) {
    const list = h('div', {});
    const detail = h('div', {});
    root.append(list, detail);
    void (async () => {
      let boards: Board[];
      try {
        boards = (await ctx.api.listLeaderboards()).leaderboards;
      } catch (err) {
        fill(list, errorBox(err));
        return;
      }
      const selected = ctx.params[0];
      fill(
        list,
        card(
          'Boards',
          table(
            ['board', 'season', 'regions', 'order', 'operator', 'reset', 'follows stat'],
            boards.map((b) => [
              h('a', { href: `#/leaderboards/${encodeURIComponent(b.board)}`, class: b.board === selected ? 'active' : undefined }, b.board),
              b.season,
              b.regions?.length ? b.regions.join(', ') : 'global only',
              b.order,
              b.operator,
              b.reset,
              b.stat ?? '–',
            ]),
            { 'data-test': 'boards' },
          ),
        ),
      );
      const board = boards.find((b) => b.board === selected);
      if (board) showBoard(detail, ctx, board);
      else if (boards.length > 0) detail.append(h('p', { class: 'muted' }, 'Pick a board to see its top and the players around one.'));
    })();
  },
};

function showBoard(root: HTMLElement, ctx: ScreenContext, board: Board): void {
  const { api } = ctx;
  const region = h('select', { name: 'region', 'aria-label': 'region' }, h('option', { value: '' }, 'global'), (board.regions ?? []).map((r) => h('option', { value: r }, r)));
  const season = h('input', { type: 'text', name: 'season', value: board.season, 'aria-label': 'season', size: 12 });
  const limit = h('input', { type: 'number', name: 'limit', value: 10, min: 1, max: 1000, 'aria-label': 'top N' });
  const around = h('input', { type: 'text', name: 'around', placeholder: 'player id', 'aria-label': 'around player' });
  const result = h('div', { 'data-test': 'board-entries' });
  const query = () => ({ region: region.value || undefined, season: season.value.trim() || undefined });

  const entries = (page: ResponseOf<'getTop'>, highlight?: string) =>
    h('div', {},
      h('p', { class: 'muted' }, `season ${page.season} `, page.partial?.length ? badge(`partial: ${page.partial.join(', ')} down`, 'warn') : null),
      table(['rank', 'player', 'score'], page.entries.map((e) => [String(e.rank), h('a', { href: `#/players/${encodeURIComponent(e.playerId)}`, class: e.playerId === highlight ? 'mark' : undefined }, e.playerId), fmt(e.score)])),
    );
  const showTop = async () => {
    try {
      fill(result, entries(await api.getTop(board.board, { ...query(), limit: Number(limit.value) || 10 })));
    } catch (err) {
      fill(result, errorBox(err));
    }
  };
  const showAround = async () => {
    const id = around.value.trim();
    if (!id) return;
    try {
      fill(result, entries(await api.getAround(board.board, id, { ...query(), limit: 5 }), id));
    } catch (err) {
      fill(result, errorBox(err));
    }
  };
  const previous = previousSeason(board.reset, board.season);
  fill(
    root,
    card(
      `${board.board} · season ${board.season}`,
      h('form', { class: 'toolbar', onsubmit: (e: Event) => { e.preventDefault(); void showTop(); } },
        h('label', {}, 'Region ', region),
        h('label', {}, 'Season ', season),
        previous ? h('button', { type: 'button', class: 'secondary small', onclick: () => { season.value = previousSeason(board.reset, season.value.trim() || board.season) ?? season.value; void showTop(); } }, '◀ previous season') : null,
        h('button', { type: 'button', class: 'secondary small', onclick: () => { season.value = board.season; void showTop(); } }, 'current'),
        h('label', {}, 'Top ', limit),
        h('button', { type: 'submit' }, 'Show top'),
      ),
      h('form', { class: 'toolbar', onsubmit: (e: Event) => { e.preventDefault(); void showAround(); } }, h('label', {}, 'Around ', around), h('button', { type: 'submit' }, 'Show around')),
      result,
      h('div', { class: 'actions' },
        h('button', {
          class: 'danger',
          onclick: async () => {
            const s = season.value.trim() || board.season;
            const ok = await confirmAction('Rebuild', `Rebuild ${board.board}, season ${s}, from its durable copy in PostgreSQL, replacing what the sorted sets hold.`, [], true);
            if (!ok) return;
            try {
              const report = await api.rebuildLeaderboard(board.board, { season: s });
              toast(`Rebuilt ${report.board} ${report.season}: ${report.sets.map((x) => `${x.region ?? 'global'} ${x.entries}`).join(', ')} entries`);
              await showTop();
            } catch (err) {
              toast(describe(err), 'bad');
            }
          },
        }, 'Rebuild from PostgreSQL…'),
      ),
    ),
  );
  void showTop();
}
