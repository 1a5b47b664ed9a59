// Per-queue matchmaking metrics, registered on the realm's registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class MatchmakingMetrics {
  readonly searching: Gauge<'queue'>;
  readonly oldestWait: Gauge<'queue'>;
  readonly matches: Counter<'queue'>;
  readonly waitSeconds: Histogram<'queue'>;
  readonly expired: Counter<'queue'>;
  readonly tickSeconds: Histogram<'queue'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.searching = new Gauge({ name: 'realmstate_matchmaking_searching_tickets', help: 'Searching tickets per queue (set by the instance running its matcher)', labelNames: ['queue'], registers });
    this.oldestWait = new Gauge({ name: 'realmstate_matchmaking_oldest_wait_seconds', help: 'Wait of the oldest searching ticket per queue', labelNames: ['queue'], registers });
    this.matches = new Counter({ name: 'realmstate_matchmaking_matches_total', help: 'Matches made per queue', labelNames: ['queue'], registers });
    this.waitSeconds = new Histogram({ name: 'realmstate_matchmaking_wait_seconds', help: 'Time from ticket to match, per queue', labelNames: ['queue'], buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300], registers });
    this.expired = new Counter({ name: 'realmstate_matchmaking_expired_total', help: 'Tickets that expired unmatched, per queue', labelNames: ['queue'], registers });
    this.tickSeconds = new Histogram({ name: 'realmstate_matchmaking_tick_seconds', help: 'Duration of one matcher tick per queue', labelNames: ['queue'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers });
  }
}
