-- Player event log, snapshots, the write-behind `players` row, and the outbox (DESIGN.md "Storage").

-- The append-only log: the audit trail and the delta after a snapshot.
CREATE TABLE player_events (
  player_id   text        NOT NULL,
  seq         bigint      NOT NULL,
  type        text        NOT NULL,
  data        jsonb       NOT NULL,
  recorded_at timestamptz NOT NULL,
  PRIMARY KEY (player_id, seq)
);

-- Full states every snapshotEvery events; only the newest few are kept.
CREATE TABLE player_snapshots (
  player_id text        NOT NULL,
  seq       bigint      NOT NULL,
  state     jsonb       NOT NULL,
  taken_at  timestamptz NOT NULL,
  PRIMARY KEY (player_id, seq)
);

-- The queryable current state, written behind in batches; an upsert never moves it back in seq.
CREATE TABLE players (
  player_id  text        PRIMARY KEY,
  seq        bigint      NOT NULL,
  state      jsonb       NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Events waiting to be published, written in the same transaction as the events.
-- `tx` lets the relay read only below the oldest transaction still in flight, so it never skips a late commit.
CREATE TABLE outbox (
  id         bigserial   PRIMARY KEY,
  tx         xid8        NOT NULL DEFAULT pg_current_xact_id(),
  player_id  text        NOT NULL,
  seq        bigint      NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Facts about the shard itself (its index and the shard count it was created for).
CREATE TABLE realmstate_meta (
  key   text  PRIMARY KEY,
  value jsonb NOT NULL
);
