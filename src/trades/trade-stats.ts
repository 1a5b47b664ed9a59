// Trade events change stats too (a currency is a stat): for consumers that follow stats (leaderboards bound to a
// stat), each trade event reads as the stat.add events it amounts to.
import type { StreamEvent } from '../backends/event-bus.js';
import type { TradeGoods } from '../players/index.js';

/** `event` itself unless it is a trade event; a trade event becomes one stat.add per stat it moves. */
export function asStatEvents(event: StreamEvent): StreamEvent[] {
  const d = event.data as { gives?: TradeGoods; receives?: TradeGoods; returns?: TradeGoods };
  let goods: TradeGoods | undefined;
  let sign = 1;
  if (event.type === 'trade.hold') [goods, sign] = [d.gives, -1];
  else if (event.type === 'trade.settle') goods = d.receives;
  else if (event.type === 'trade.release') goods = d.returns;
  else return event.type === 'trade.void' ? [] : [event];
  return Object.entries(goods?.stats ?? {}).map(([stat, qty]) => ({ ...event, type: 'stat.add', data: { stat, amount: sign * qty } }));
}
