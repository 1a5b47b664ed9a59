// Players: find one by id; its state, its event log page by page, the state at any seq (a slider), the raw JSON,
// and the admin actions on a player (rollback to the slider's seq, ban, unban), each confirmed first.
import { isApiError, type ResponseOf } from '../../../client/index.js';
import type { Screen, ScreenContext } from '../context.js';
import { card, confirmAction, describe, errorBox, fill, fmt, h, json, searchBox, table, toast, when } from '../ui.js';

const PAGE = 12;
type State = ResponseOf<'getPlayer'>;

export const players: Screen = {
  name: 'players',
  title: 'Players',
  render(root, ctx) {
    const id = ctx.params[0];
    root.append(searchBox('Player id', 'Find', (value) => ctx.go(`#/players/${encodeURIComponent(value)}`), id ?? '', 'playerId'));
    const out = h('div', {});
    root.append(out);
    if (id) void showPlayer(out, ctx, id);
    else out.append(h('p', { class: 'muted' }, 'Type a player id to see its state and its event log.'));
  },
};

async function showPlayer(out: HTMLElement, ctx: ScreenContext, id: string): Promise<void> {
  const { api } = ctx;
  let state: State;
  try {
    state = await api.getPlayer(id, { consistency: 'strong' });
  } catch (err) {
    fill(out, isApiError(err, 'not_found') ? h('p', { class: 'error', role: 'alert' }, `No player "${id}".`) : errorBox(err));
    return;
  }
  const timeline = h('div', { 'data-test': 'timeline' });
  const slider = h('input', { type: 'range', min: 1, max: state.seq, value: state.seq, step: 1, name: 'seq', 'aria-label': 'seq' });
  const seqLabel = h('strong', { 'data-test': 'seq-label' }, String(state.seq));
  const at = h('div', { 'data-test': 'state-at' });
  const showAt = async (seq: number) => {
    slider.value = String(seq);
    seqLabel.textContent = String(seq);
    try {
      const s = await api.getStateAt(id, seq);
      if (Number(slider.value) === seq) fill(at, stateView(s), h('details', {}, h('summary', {}, `Raw JSON at seq ${seq}`), json(s)));
    } catch (err) {
      fill(at, errorBox(err));
    }
  };
  let pending: number | undefined;
  slider.addEventListener('input', () => {
    seqLabel.textContent = slider.value;
    clearTimeout(pending);
    pending = window.setTimeout(() => void showAt(Number(slider.value)), 120);
  });
  const step = (d: number) => void showAt(Math.min(state.seq, Math.max(1, Number(slider.value) + d)));

  const actions = h(
    'div',
    { class: 'actions' },
    h('button', {
      class: 'danger',
      onclick: async () => {
        const toSeq = Number(slider.value);
        const ok = await confirmAction('Roll back', `Append one state.restore event that makes ${id}'s state equal to its state at seq ${toSeq}.`, [{ name: 'reason', label: 'Reason' }]);
        if (!ok) return;
        await act(() => api.rollbackPlayer(id, toSeq, ok.reason as string), `${id} rolled back to seq ${toSeq}`, ctx, id);
      },
    }, 'Roll back to the slider\'s seq…'),
    h('button', {
      class: 'danger',
      onclick: async () => {
        const ok = await confirmAction('Ban', `Ban ${id}: its scores leave every board and its writes are refused.`, [{ name: 'reason', label: 'Reason' }]);
        if (ok) await act(() => api.banPlayer(id, ok.reason as string), `${id} banned`, ctx, id);
      },
    }, 'Ban…'),
    h('button', {
      class: 'secondary',
      onclick: async () => {
        const ok = await confirmAction('Unban', `Lift ${id}'s ban: its scores come back.`, [{ name: 'reason', label: 'Reason', required: false }], false);
        if (ok) await act(() => api.unbanPlayer(id, ok.reason || undefined), `${id} unbanned`, ctx, id);
      },
    }, 'Unban…'),
  );

  fill(
    out,
    h('div', { class: 'grid two' },
      h('div', {},
        card(`${state.playerId} · seq ${state.seq}`, stateView(state), actions),
        card(
          'State at seq',
          h('div', { class: 'slider' },
            h('button', { class: 'secondary small', onclick: () => step(-1), 'aria-label': 'previous seq' }, '◀'),
            slider,
            h('button', { class: 'secondary small', onclick: () => step(1), 'aria-label': 'next seq' }, '▶'),
            h('span', {}, 'seq ', seqLabel, ` of ${state.seq}`),
          ),
          at,
        ),
      ),
      card('Event log', timeline),
    ),
    card('Raw JSON', json(state)),
  );
  await showAt(state.seq);
  await showEvents(timeline, ctx, id, [0], showAt);
}

async function act(run: () => Promise<unknown>, done: string, ctx: ScreenContext, id: string): Promise<void> {
  try {
    await run();
    toast(done);
    ctx.go(`#/players/${encodeURIComponent(id)}/${Date.now()}`);
  } catch (err) {
    toast(describe(err), 'bad');
  }
}

/** One page of the log; `afters` is the stack of page starts, so Previous goes back exactly. */
async function showEvents(box: HTMLElement, ctx: ScreenContext, id: string, afters: number[], showAt: (seq: number) => Promise<void>): Promise<void> {
  const after = afters[afters.length - 1] ?? 0;
  let page: ResponseOf<'listEvents'>;
  try {
    page = await ctx.api.listEvents(id, { after, limit: PAGE });
  } catch (err) {
    fill(box, errorBox(err));
    return;
  }
  const first = page.events[0]?.seq;
  const last = page.events[page.events.length - 1]?.seq;
  fill(
    box,
    table(
      ['seq', 'type', 'data', 'at (UTC)', ''],
      page.events.map((e) => [
        String(e.seq),
        h('code', {}, e.type),
        h('code', { class: 'clip' }, JSON.stringify(e.data)),
        h('span', { title: when(e.recordedAt) }, when(e.recordedAt).slice(11)),
        h('button', { class: 'secondary small', onclick: () => void showAt(e.seq) }, 'state here'),
      ]),
    ),
    h('div', { class: 'pager' },
      h('button', { class: 'secondary', disabled: afters.length <= 1, onclick: () => void showEvents(box, ctx, id, afters.slice(0, -1), showAt) }, '← Previous'),
      h('span', { 'data-test': 'page' }, first === undefined ? 'no events' : `events ${first}–${last}`),
      h('button', { class: 'secondary', disabled: page.nextAfter === null, onclick: () => void showEvents(box, ctx, id, [...afters, page.nextAfter as number], showAt) }, 'Next →'),
    ),
  );
}

function stateView(s: State): HTMLElement {
  const rows = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? fmt(v) : JSON.stringify(v)]);
  const ratings = (s as { ratings?: Record<string, { mu: number; sigma: number; matches: number }> }).ratings;
  return h(
    'div',
    { class: 'state' },
    h('div', { class: 'grid three' },
      h('div', {}, h('h4', {}, 'stats'), table(['stat', 'value'], rows(s.stats))),
      h('div', {}, h('h4', {}, 'items'), table(['item', 'qty'], rows(s.items))),
      h('div', {}, h('h4', {}, 'data'), table(['key', 'value'], rows(s.data))),
    ),
    ratings ? h('div', {}, h('h4', {}, 'ratings'), table(['queue', 'mu', 'sigma', 'matches'], Object.entries(ratings).map(([q, r]) => [q, fmt(r.mu, 2), fmt(r.sigma, 2), String(r.matches)]))) : null,
  );
}
