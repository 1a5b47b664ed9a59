// Shards: the slot map (each shard's slots and share), the latest move and its progress; rebalance (its plan is
// shown in the confirmation), drain a shard, cancel the running move. Refreshed every two seconds.
import type { ResponseOf } from '../../../client/index.js';
import type { Screen, ScreenContext } from '../context.js';
import { badge, card, confirmAction, describe, errorBox, fill, fmt, h, pct, progress, shareBar, table, toast, when } from '../ui.js';

const SLOTS = 4096;

export const shards: Screen = {
  name: 'shards',
  title: 'Shards',
  render(root, ctx) {
    const body = h('div', {});
    root.append(body);
    ctx.every(2000, async () => {
      let map: ResponseOf<'getShards'>;
      try {
        map = await ctx.api.getShards();
      } catch (err) {
        fill(body, errorBox(err));
        return;
      }
      fill(body, view(map, ctx));
    });
  },
};

function view(map: ResponseOf<'getShards'>, ctx: ScreenContext): HTMLElement[] {
  const { api } = ctx;
  const running = map.move?.state === 'running';
  const run = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      toast(done);
    } catch (err) {
      toast(describe(err), 'bad');
    }
  };
  const even = SLOTS / Math.max(1, map.shards.length);
  return [
    card(
      `Slot map · epoch ${map.epoch}`,
      h('p', { class: 'muted' }, `${SLOTS} slots; a player's slot is a hash of its id. An even share is ${fmt(even, 0)} slots per shard.`),
      shareBar(map.shards.map((s) => ({ label: `#${s.id}`, value: s.slots }))),
      table(
        ['shard', 'database', 'slots', 'share', 'state', ''],
        map.shards.map((s) => [
          `#${s.id}`,
          h('code', {}, s.label),
          fmt(s.slots),
          pct(s.slots / SLOTS),
          badge(s.state, s.state === 'up' ? 'ok' : 'bad'),
          h('button', {
            class: 'danger small',
            disabled: running || s.slots === 0,
            onclick: async () => {
              if (await confirmAction('Drain', `Move all ${s.slots} slots off shard #${s.id} (${s.label}) onto the others. Players keep being served during the move.`)) {
                await run(() => api.drainShard(s.id), `Draining shard #${s.id}`);
              }
            },
          }, 'Drain…'),
        ]),
        { 'data-test': 'shards' },
      ),
      h('div', { class: 'actions' },
        h('button', {
          class: 'danger',
          disabled: running,
          onclick: async () => {
            let plan: string;
            try {
              const dry = (await api.rebalanceShards({ dryRun: true })) as { moves?: Array<{ slot: number; from: number; to: number }> };
              const moves = dry.moves ?? [];
              if (moves.length === 0) {
                toast('Already even: nothing to move');
                return;
              }
              const pairs = new Map<string, number>();
              for (const m of moves) pairs.set(`#${m.from} → #${m.to}`, (pairs.get(`#${m.from} → #${m.to}`) ?? 0) + 1);
              plan = `${moves.length} slots: ${[...pairs].map(([k, n]) => `${k} ${n}`).join(', ')}`;
            } catch (err) {
              toast(describe(err), 'bad');
              return;
            }
            if (await confirmAction('Rebalance', `Move ${plan}, until every shard owns an even share.`)) await run(() => api.rebalanceShards({}), 'Rebalance started');
          },
        }, 'Rebalance…'),
        h('button', {
          class: 'secondary',
          disabled: !running,
          onclick: async () => {
            if (await confirmAction('Cancel the move', 'Stop the running move once the slot in flight is finished or rolled back.')) await run(() => api.cancelShardMove(), 'Move cancelled');
          },
        }, 'Cancel the move…'),
      ),
    ),
    card(
      'Latest move',
      map.move
        ? h('div', { 'data-test': 'move' },
            h('p', {}, badge(`${map.move.kind} ${map.move.state}`, map.move.state === 'done' ? 'ok' : map.move.state === 'running' ? 'warn' : 'bad'), ` started ${when(map.move.startedAt)}, finished ${when(map.move.finishedAt)}`),
            progress(map.move.slotsDone, map.move.slotsTotal),
            h('p', {}, `${fmt(map.move.rowsCopied)} rows copied`),
            map.move.error ? h('div', { class: 'error' }, map.move.error) : null,
          )
        : h('p', { class: 'muted' }, 'No move yet.'),
    ),
  ];
}
