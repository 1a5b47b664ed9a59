-- Trades: one record per trade id, on the shard of the trade id's slot. `status` is the decision (moved once, from
-- pending); `settled` says every follow-up event (settle, or release/void) is in the players' logs.
CREATE TABLE trades (
  trade_id    text        PRIMARY KEY,
  body_hash   text        NOT NULL,
  body        jsonb       NOT NULL,
  status      text        NOT NULL CHECK (status IN ('pending', 'committed', 'rejected', 'rolled_back')),
  settled     boolean     NOT NULL DEFAULT false,
  reason      text,
  a_seq       bigint,
  b_seq       bigint,
  created_at  timestamptz NOT NULL DEFAULT now(),
  decided_at  timestamptz,
  finished_at timestamptz
);
CREATE INDEX trades_unsettled ON trades (created_at) WHERE NOT settled;

-- The economy's books (kept on shard 0): per player, what the books hold of it and how far in its log they are;
-- per trade side, how many holds put goods into escrow and how many settles/releases took them out.
CREATE TABLE economy_players (
  player_id text   PRIMARY KEY,
  seq       bigint NOT NULL,
  book      jsonb  NOT NULL
);
CREATE TABLE economy_escrow (
  trade_id text   NOT NULL,
  giver    text   NOT NULL,
  goods    jsonb,
  ins      bigint NOT NULL DEFAULT 0,
  outs     bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (trade_id, giver)
);
