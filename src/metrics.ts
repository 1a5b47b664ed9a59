// Every Prometheus metric Realmstate exports, in one registry per realm (tests run several realms in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({ name: 'realmstate_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'] as const, registers: [this.registry] });
  readonly httpDuration = new Histogram({
    name: 'realmstate_http_request_duration_seconds', help: 'HTTP request latency by route', labelNames: ['route', 'method'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry],
  });

  readonly groupCommitEvents = new Histogram({
    name: 'realmstate_group_commit_batch_events', help: 'Events per group-commit transaction', labelNames: ['shard'] as const,
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000], registers: [this.registry],
  });
  readonly groupCommitSeconds = new Histogram({
    name: 'realmstate_group_commit_seconds', help: 'Duration of a group-commit transaction', labelNames: ['shard'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [this.registry],
  });
  readonly groupCommitFailures = new Counter({ name: 'realmstate_group_commit_failures_total', help: 'Group-commit transactions that failed', labelNames: ['shard'] as const, registers: [this.registry] });
  readonly appendQueue = new Gauge({ name: 'realmstate_append_queue_events', help: 'Events applied in memory and not yet committed', labelNames: ['shard'] as const, registers: [this.registry] });
  readonly batchedRebased = new Counter({ name: 'realmstate_batched_rebased_total', help: 'Acknowledged batched appends re-applied after another process wrote the same player', registers: [this.registry] });
  readonly batchedDropped = new Counter({ name: 'realmstate_batched_dropped_total', help: 'Acknowledged batched appends that could not be re-applied (see the error log)', registers: [this.registry] });

  readonly writeBehindPending = new Gauge({ name: 'realmstate_write_behind_pending', help: 'Players whose row waits for the write-behind flush', registers: [this.registry] });
  readonly writeBehindFlushed = new Counter({ name: 'realmstate_write_behind_flushed_total', help: 'Player rows written by the write-behind', registers: [this.registry] });
  readonly writeBehindStatements = new Counter({ name: 'realmstate_write_behind_statements_total', help: 'Upsert statements sent by the write-behind', registers: [this.registry] });
  readonly writeBehindFailed = new Counter({ name: 'realmstate_write_behind_failed_total', help: 'Write-behind flushes of a shard that failed (and will be retried)', registers: [this.registry] });

  readonly snapshots = new Counter({ name: 'realmstate_snapshots_total', help: 'Snapshots written', registers: [this.registry] });
  readonly playerLoads = new Counter({ name: 'realmstate_player_loads_total', help: 'Player state loads by source', labelNames: ['source'] as const, registers: [this.registry] });
  readonly activePlayers = new Gauge({ name: 'realmstate_active_players', help: 'Players held in memory', registers: [this.registry] });

  readonly outboxLagRows = new Gauge({ name: 'realmstate_outbox_lag_rows', help: 'Outbox rows not yet published, per shard (refreshed by the relay holding the shard)', labelNames: ['shard'] as const, registers: [this.registry] });
  readonly outboxLagSeconds = new Gauge({ name: 'realmstate_outbox_lag_seconds', help: 'Age of the oldest unpublished outbox row, per shard', labelNames: ['shard'] as const, registers: [this.registry] });
  readonly outboxPublished = new Counter({ name: 'realmstate_outbox_published_total', help: 'Events published to the stream, per shard', labelNames: ['shard'] as const, registers: [this.registry] });
  readonly outboxPublishFailures = new Counter({ name: 'realmstate_outbox_publish_failures_total', help: 'Relay rounds that failed (stream or database down) and will be retried', labelNames: ['shard'] as const, registers: [this.registry] });
  readonly projectionEvents = new Counter({ name: 'realmstate_projection_events_total', help: 'Events handled by projections (skipped: already applied)', labelNames: ['projection', 'result'] as const, registers: [this.registry] });

  readonly cacheReads = new Counter({ name: 'realmstate_cache_reads_total', help: 'Player cache lookups by result', labelNames: ['result'] as const, registers: [this.registry] });
  readonly cacheWriteFailures = new Counter({ name: 'realmstate_cache_write_failures_total', help: 'Cache writes that failed (retried in the background)', registers: [this.registry] });

  readonly reads = new Counter({ name: 'realmstate_player_reads_total', help: 'Player reads by the source that served them', labelNames: ['source'] as const, registers: [this.registry] });

  readonly configReloads = new Counter({ name: 'realmstate_config_reloads_total', help: 'Game config reloads by result: ok (valid file accepted) or invalid (rejected, the old config stays)', labelNames: ['result'] as const, registers: [this.registry] });
  readonly configInfo = new Gauge({ name: 'realmstate_config_info', help: 'The live game config: 1, labelled with its hash and version', labelNames: ['hash', 'version'] as const, registers: [this.registry] });

  readonly leaderboardSubmissions = new Counter({ name: 'realmstate_leaderboard_submissions_total', help: 'Scores accepted by leaderboards (including follow-stat updates)', registers: [this.registry] });
  readonly leaderboardRebuilds = new Counter({ name: 'realmstate_leaderboard_rebuilds_total', help: 'Leaderboard sorted sets rebuilt from PostgreSQL, by trigger (missing: the store lost it; manual: rebuild command)', labelNames: ['trigger'] as const, registers: [this.registry] });
  readonly leaderboardCopyPending = new Gauge({ name: 'realmstate_leaderboard_copy_pending', help: 'Accepted scores waiting for their durable copy in PostgreSQL', registers: [this.registry] });
  readonly leaderboardCopyFlushed = new Counter({ name: 'realmstate_leaderboard_copy_flushed_total', help: 'Score rows written to leaderboard_scores', registers: [this.registry] });
  readonly leaderboardCopyFailed = new Counter({ name: 'realmstate_leaderboard_copy_failed_total', help: 'Durable-copy flushes of a shard that failed (and will be retried)', registers: [this.registry] });

  // Resharding: the slot map and the moves of slots between shards.
  readonly shardEpoch = new Gauge({ name: 'realmstate_shard_map_epoch', help: 'Epoch of the slot map this instance routes by', registers: [this.registry] });
  readonly slotsMoved = new Counter({ name: 'realmstate_slots_moved_total', help: 'Slots moved to another shard by this process', registers: [this.registry] });
  readonly slotRowsCopied = new Counter({ name: 'realmstate_slot_rows_copied_total', help: 'Rows copied by slot moves run in this process', registers: [this.registry] });
  readonly slotFreezeSeconds = new Histogram({
    name: 'realmstate_slot_freeze_seconds', help: 'How long a moving slot was frozen (its writes waited)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry],
  });
  readonly rerouted = new Counter({ name: 'realmstate_commits_rerouted_total', help: 'Appends sent to a new shard after their slot moved', registers: [this.registry] });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'realmstate_process_' });
  }
}
