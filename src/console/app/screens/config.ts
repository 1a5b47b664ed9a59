// Config: the live game config with its version and hash, accepted reloads and the last error (a file that was
// refused), each experiment's split and one player's variants. Watched every two seconds, so a reload shows by itself.
import type { ResponseOf } from '../../../client/index.js';
import type { Screen } from '../context.js';
import { badge, card, confirmAction, describe, errorBox, fill, h, json, pct, searchBox, shareBar, stat, table, toast, when } from '../ui.js';

type Snapshot = ResponseOf<'getConfig'>;

export const config: Screen = {
  name: 'config',
  title: 'Config',
  render(root, { api, every }) {
    const status = h('div', { 'data-test': 'config-status' });
    const experiments = h('div', {});
    const live = h('div', {});
    const variants = h('div', { 'data-test': 'variants' });
    const reload = h('button', {
      class: 'danger',
      onclick: async () => {
        if (!(await confirmAction('Reload', 'Re-read the config file now. An invalid file is refused and the live config stays.', [], false))) return;
        try {
          const s = await api.reloadConfig();
          toast(`Config version ${s.version} (${s.hash}) is live`);
        } catch (err) {
          toast(describe(err), 'bad');
        }
        lastHash = '';
      },
    }, 'Reload the file now…');
    root.append(
      h('div', { class: 'grid two' }, card('Status', status, h('div', { class: 'actions' }, reload)), card('Experiments', experiments)),
      card("A player's variants", searchBox('Player id', 'Show variants', (id) => void showVariants(id), '', 'variantsPlayer'), variants),
      card('Live config', live),
    );
    let lastHash = '';
    let snapshot: Snapshot | undefined;

    const showVariants = async (playerId: string) => {
      try {
        const mine = await api.getConfig({ playerId });
        fill(
          variants,
          table(['experiment', 'variant'], Object.entries(mine.experiments ?? {}).map(([name, variant]) => [name, h('strong', {}, variant)])),
          h('details', {}, h('summary', {}, `The config ${playerId} gets (overrides merged)`), json(mine.config)),
        );
      } catch (err) {
        fill(variants, errorBox(err));
      }
    };

    every(2000, async () => {
      const s = await api.getConfigStatus();
      fill(
        status,
        h('div', { class: 'stats' }, stat('version', String(s.version)), stat('hash', s.hash), stat('reloads', String(s.reloads))),
        h('p', { class: 'muted' }, `loaded ${when(s.loadedAt)}`),
        s.lastError
          ? h('div', { class: 'error', role: 'alert', 'data-test': 'last-error' }, h('strong', {}, `Refused at ${when(s.lastError.at)}: `), s.lastError.message)
          : h('p', {}, badge('no error', 'ok')),
      );
      if (s.hash === lastHash && snapshot) return;
      lastHash = s.hash;
      snapshot = await api.getConfig();
      fill(live, json(snapshot.config));
      const list = (snapshot.config as { experiments?: Array<{ name: string; variants: Array<{ name: string; weight: number; overrides?: unknown }> }> }).experiments ?? [];
      fill(
        experiments,
        list.length === 0
          ? h('p', { class: 'muted' }, 'No experiments in the config.')
          : list.map((e) => {
              const total = e.variants.reduce((sum, v) => sum + v.weight, 0) || 1;
              return h('div', { class: 'experiment' },
                h('h4', {}, e.name),
                shareBar(e.variants.map((v) => ({ label: v.name, value: v.weight }))),
                table(['variant', 'weight', 'share', 'overrides'], e.variants.map((v) => [v.name, String(v.weight), pct(v.weight / total), h('code', { class: 'clip' }, JSON.stringify(v.overrides ?? {}))])),
              );
            }),
      );
    });
  },
};
