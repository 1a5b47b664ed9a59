-- Per-player checkpoints of stream projections: the highest seq a projection has applied for a player,
-- so a redelivered event (at-least-once) is recognised and skipped.
CREATE TABLE projection_checkpoints (
  projection text   NOT NULL,
  player_id  text   NOT NULL,
  seq        bigint NOT NULL,
  PRIMARY KEY (projection, player_id)
);
