// Overview: backends, shards, requests per second and p99, outbox lag, write-behind pending, config version;
// refreshed every two seconds, with the recent trend drawn under the figures that move.
import type { ResponseOf } from '../../../client/index.js';
import type { Screen } from '../context.js';
import { badge, card, errorBox, fill, fmt, h, shareBar, stat, table, when } from '../ui.js';

const KEEP = 90;
// Kept across visits of the screen, so the charts do not start over.
const history = { rps: [] as number[], p99: [] as number[], lag: [] as number[], pending: [] as number[] };

function push(series: number[], value: number): void {
  series.push(value);
  if (series.length > KEEP) series.shift();
}

export const overview: Screen = {
  name: 'overview',
  title: 'Overview',
  render(root, { api, every }) {
    const body = h('div', { class: 'grid' });
    const updated = h('p', { class: 'muted' }, 'Loading…');
    root.append(updated, body);
    every(2000, async () => {
      const [o, ready, shardMap, instances] = await Promise.all([
        api.getOverview(),
        api.readiness(),
        api.getShards().catch((err: unknown) => err as Error),
        api.listInstances().catch(() => null),
      ]);
      push(history.rps, o.requests.perSecond);
      push(history.p99, o.requests.p99Ms ?? 0);
      push(history.lag, o.outbox.lagRows);
      push(history.pending, o.writeBehind.pending);
      fill(updated, `Live, every 2 s · updated ${when(o.at)} · up ${fmt(o.uptimeSeconds / 60, 0)} min · figures of this instance over the last ${fmt(o.requests.windowSeconds, 0)} s`);
      fill(
        body,
        card(
          'Backends',
          h('p', {}, ready.ready ? badge('ready', 'ok') : badge('not ready', 'bad')),
          table(['backend', 'state'], Object.entries(ready.backends).map(([name, state]) => [name, badge(state, state === 'up' ? 'ok' : 'bad')]), { 'data-test': 'backends' }),
        ),
        card(
          'Traffic',
          h('div', { class: 'stats' },
            stat('requests/s', fmt(o.requests.perSecond), history.rps),
            stat('p99 latency', o.requests.p99Ms === null ? '–' : `${fmt(o.requests.p99Ms, 2)} ms`, history.p99),
          ),
          h('p', { class: 'muted' }, `${fmt(o.requests.total)} requests since start`),
        ),
        card(
          'Pipelines',
          h('div', { class: 'stats' },
            stat('outbox lag', `${fmt(o.outbox.lagRows)} rows · ${fmt(o.outbox.lagSeconds)} s`, history.lag),
            stat('write-behind pending', fmt(o.writeBehind.pending), history.pending),
          ),
          h('p', { class: 'muted' }, `${fmt(o.appendQueue)} events waiting for their commit · ${fmt(o.activePlayers)} players in memory`),
        ),
        card('Config', h('div', { class: 'stats' }, stat('version', String(o.config.version)), stat('hash', o.config.hash)), h('a', { href: '#/config' }, 'Config screen →')),
        shardCard(shardMap, o.shards),
        instances && instances.instances.length > 0
          ? card('Instances', table(['id', 'url', 'slots', 'last seen'], instances.instances.map((i) => [i.id, i.url, fmt(i.slots), when(i.lastSeenAt)])))
          : null,
      );
    });
  },
};

function shardCard(shardMap: ResponseOf<'getShards'> | Error, counts: ResponseOf<'getOverview'>['shards']): HTMLElement {
  if (shardMap instanceof Error) return card('Shards', errorBox(shardMap));
  const move = shardMap.move;
  return card(
    'Shards',
    h('p', {}, `epoch ${shardMap.epoch} · ${shardMap.shards.length} shards`),
    shareBar(shardMap.shards.map((s) => ({ label: `#${s.id}`, value: s.slots }))),
    table(['shard', 'slots', 'players', 'state'], shardMap.shards.map((s) => {
      const players = counts.find((c) => c.index === s.index)?.players;
      return [`#${s.id} ${s.label}`, fmt(s.slots), players === null || players === undefined ? '–' : fmt(players), badge(s.state, s.state === 'up' ? 'ok' : 'bad')];
    }), { 'data-test': 'overview-shards' }),
    move && move.state === 'running' ? h('p', {}, badge(`${move.kind} running: ${move.slotsDone}/${move.slotsTotal} slots`, 'warn')) : null,
    h('a', { href: '#/shards' }, 'Shards screen →'),
  );
}
