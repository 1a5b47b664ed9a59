// Matchmaking: every queue with its searching tickets and oldest wait, the waits of one queue's tickets and its
// recent matches with their quality (rating spread, worst latency, predicted draw). Refreshed every two seconds.
import type { ResponseOf } from '../../../client/index.js';
import type { Screen } from '../context.js';
import { badge, card, errorBox, fill, fmt, h, pct, sparkline, table, when } from '../ui.js';

// Oldest wait per queue over the recent refreshes, kept across visits.
const waits = new Map<string, number[]>();

export const matchmaking: Screen = {
  name: 'matchmaking',
  title: 'Matchmaking',
  render(root, { api, params, every }) {
    const queuesBox = h('div', {});
    const detail = h('div', {});
    root.append(queuesBox, detail);
    every(2000, async () => {
      let queues: ResponseOf<'listQueues'>['queues'];
      try {
        queues = (await api.listQueues()).queues;
      } catch (err) {
        fill(queuesBox, errorBox(err));
        return;
      }
      for (const q of queues) {
        const series = waits.get(q.name) ?? [];
        series.push(q.oldestWaitSeconds);
        if (series.length > 90) series.shift();
        waits.set(q.name, series);
      }
      const selected = params[0] ?? queues[0]?.name;
      fill(
        queuesBox,
        card(
          'Queues',
          queues.length === 0
            ? h('p', { class: 'muted' }, 'No queues in the game config (matchmaking.queues).')
            : table(
                ['queue', 'searching', 'oldest wait', 'trend of the oldest wait', 'matches in the last minute'],
                queues.map((q) => [
                  h('a', { href: `#/matchmaking/${encodeURIComponent(q.name)}`, class: q.name === selected ? 'active' : undefined }, q.name),
                  fmt(q.searching),
                  `${fmt(q.oldestWaitSeconds)} s`,
                  sparkline(waits.get(q.name) ?? [], 160, 28),
                  fmt(q.matchesLastMinute),
                ]),
                { 'data-test': 'queues' },
              ),
        ),
      );
      if (!selected) return;
      let d: ResponseOf<'getQueueDetail'>;
      try {
        d = await api.getQueueDetail(selected, { limit: 20 });
      } catch (err) {
        fill(detail, errorBox(err));
        return;
      }
      fill(
        detail,
        h('div', { class: 'grid two' },
          card(
            `${d.name}: searching tickets`,
            table(
              ['ticket', 'players', 'waiting', 'since'],
              d.searching.map((t) => [h('code', {}, t.ticketId.slice(0, 8)), t.players.map((p) => p.playerId).join(', '), `${fmt(t.waitSeconds)} s`, when(t.createdAt)]),
            ),
          ),
          card(
            `${d.name}: recent matches`,
            table(
              ['match', 'region', 'teams', 'rating spread', 'worst latency', 'predicted draw', 'result'],
              d.recentMatches.map((m) => [
                h('code', { title: `${m.matchId} at ${when(m.createdAt)}` }, m.matchId.slice(0, 8)),
                m.region,
                m.teams.map((t) => t.join(' + ')).join(' vs '),
                fmt(m.quality.ratingSpread, 2),
                `${fmt(m.quality.maxLatencyMs, 0)} ms`,
                pct(m.quality.predictedDraw),
                m.result ? m.result.ranks.join(' / ') : badge('playing', 'info'),
              ]),
              { 'data-test': 'matches' },
            ),
          ),
        ),
      );
    });
  },
};
