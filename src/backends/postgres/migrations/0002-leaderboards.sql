-- Leaderboards (DESIGN.md "Storage"): the durable copy of every board, and the boards defined with PUT.

-- One row per player, board and season, on the player's shard; a board is rebuilt from these when Redis lost it.
-- achieved_at keeps the microseconds of the sorted-set member, so a rebuild restores the tie order exactly.
CREATE TABLE leaderboard_scores (
  board       text        NOT NULL,
  season      text        NOT NULL,
  player_id   text        NOT NULL,
  region      text,                   -- NULL on a board without regions
  score       bigint      NOT NULL,
  achieved_at timestamptz NOT NULL,
  PRIMARY KEY (board, season, player_id)
);

-- Boards made with PUT /v1/leaderboards/{board}. Migrations run on every shard; only shard 0's table is used.
CREATE TABLE leaderboards (
  board      text        PRIMARY KEY,
  definition jsonb       NOT NULL,
  updated_at timestamptz NOT NULL
);
