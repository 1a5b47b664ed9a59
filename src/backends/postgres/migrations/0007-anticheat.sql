-- Anti-cheat and admin audit. Migrations run on every shard; only shard 0's tables are used (like `leaderboards`).

-- Flags raised by the rules, for review. `held` is a score kept out of its board (quarantine) until the flag is cleared.
CREATE TABLE anticheat_flags (
  id         bigserial   PRIMARY KEY,
  player_id  text        NOT NULL,
  rule       text        NOT NULL,
  action     text        NOT NULL,   -- flag | quarantine
  status     text        NOT NULL,   -- open | cleared | banned
  details    jsonb       NOT NULL,
  held       jsonb,                  -- {board, season, region, score} of a quarantined score
  at         timestamptz NOT NULL DEFAULT now(),
  cleared_at timestamptz
);
CREATE INDEX anticheat_flags_status ON anticheat_flags (status, id DESC);
CREATE INDEX anticheat_flags_player ON anticheat_flags (player_id, id DESC);

-- Banned players: every instance keeps the set in memory and re-reads it on a broadcast hint (and periodically).
CREATE TABLE anticheat_bans (
  player_id text        PRIMARY KEY,
  reason    text        NOT NULL,
  banned_at timestamptz NOT NULL DEFAULT now()
);

-- Every admin action (non-GET request to an admin route) with the key kind and the outcome.
CREATE TABLE admin_audit (
  id       bigserial   PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  key_kind text        NOT NULL,
  action   text        NOT NULL,
  target   text,
  outcome  text        NOT NULL
);
