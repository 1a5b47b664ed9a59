-- A fleet of instances sharing the players: who is alive, and which instance holds each slot's lease.
-- Every shard holds both tables for every slot, so a commit transaction checks its lease on its own database
-- (whichever shard a slot's players live on) and a shard that is down stops only its own writes.
CREATE TABLE fleet_instances (
  id           text        PRIMARY KEY,
  url          text        NOT NULL,
  started_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL
);

CREATE TABLE fleet_slot_leases (
  slot       integer     PRIMARY KEY,
  instance   text        NOT NULL,
  expires_at timestamptz NOT NULL
);
