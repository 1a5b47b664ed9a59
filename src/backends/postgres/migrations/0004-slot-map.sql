-- The durable slot map (DESIGN.md "Growing"). Each shard lists the slots it owns; a commit locks the rows of the
-- slots it writes FOR SHARE, so once a move deleted a row here, no commit for that slot can land on this shard.
-- `frozen`: the slot is being handed to another shard; commits for it wait (they are retried, not failed).
CREATE TABLE slot_owner (
  slot   integer PRIMARY KEY,
  frozen boolean NOT NULL DEFAULT false
);

-- The players of each slot on this shard, so a move finds a slot's rows without hashing every id.
CREATE TABLE slot_players (
  slot      integer NOT NULL,
  player_id text    NOT NULL,
  PRIMARY KEY (slot, player_id)
);

-- A slot move in flight, on its target shard: whoever finds a row here with no mover alive finishes or rolls it back.
CREATE TABLE slot_moves (
  slot       integer     PRIMARY KEY,
  from_shard integer     NOT NULL,
  to_shard   integer     NOT NULL,
  state      text        NOT NULL,   -- copying | switching | cleaning
  epoch      bigint      NOT NULL,   -- the epoch of the map once this slot is switched
  started_at timestamptz NOT NULL DEFAULT now()
);

-- Moves (a rebalance or a drain), kept on the home shard (the listed shard with the lowest id).
CREATE TABLE shard_moves (
  id          text        PRIMARY KEY,
  kind        text        NOT NULL,
  state       text        NOT NULL,
  slots_done  integer     NOT NULL DEFAULT 0,
  slots_total integer     NOT NULL,
  rows_copied bigint      NOT NULL DEFAULT 0,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  error       text
);
