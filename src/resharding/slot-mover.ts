// Moves one slot's rows from a shard to another while the game runs: copy, catch up from the log, freeze the slot
// (its commits wait), copy the rest, verify, switch the owner (epoch + 1), then delete the source rows.
// Every step is recorded in slot_moves on the target, so whoever finds the record later can finish or undo it.
import type { SqlExecutor, SqlShard } from '../backends/postgres/index.js';
import { readShardFacts, type StoredMap } from '../backends/postgres/migrate.js';

/** Rows copied per statement. */
const CHUNK = 2000;
/** Catch-up passes before the freeze; each copies only what the previous one missed. */
const CATCH_UP_PASSES = 3;

export type SlotMoveState = 'copying' | 'frozen' | 'switching' | 'cleaning';

export interface SlotMoveRecord {
  slot: number;
  fromShard: number;
  toShard: number;
  state: SlotMoveState;
  epoch: number;
}

export interface SlotEndpoints {
  from: SqlShard;
  to: SqlShard;
  fromId: number;
  toId: number;
}

export interface SlotMoveHooks {
  /** Told the rows copied as they are copied. */
  onRows?: (n: number) => void;
  /**
   * Runs the switch: called with a function that writes the new map on both shards; the caller serializes
   * switches and allocates the epoch. Returns the epoch used.
   */
  switchOwner: (write: (map: StoredMap) => Promise<void>, slots: readonly number[], toId: number) => Promise<number>;
  /** Checked between steps before the freeze: true stops the move and rolls it back. */
  cancelled?: () => boolean;
}

export class MoveCancelledError extends Error {}

export class SlotMoveFailedError extends Error {}

export interface SlotMoveResult {
  rows: number;
  freezeMs: number;
  epoch: number;
  /** Deletes the source's rows of the slot once verified; call it after instances had time to see the new map. */
  clean: () => Promise<void>;
}

export async function moveSlot(slot: number, ends: SlotEndpoints, hooks: SlotMoveHooks): Promise<SlotMoveResult> {
  const { from, to } = ends;
  const [owned] = await from.query<{ frozen: boolean }>('SELECT frozen FROM slot_owner WHERE slot = $1', [slot]);
  if (!owned) throw new SlotMoveFailedError(`${from.label} does not own slot ${slot}`);
  await to.query('INSERT INTO slot_moves (slot, from_shard, to_shard, state, epoch) VALUES ($1, $2, $3, $4, 0)', [slot, ends.fromId, ends.toId, 'copying']);
  let rows = 0;
  const count = (n: number) => {
    rows += n;
    hooks.onRows?.(n);
  };
  let frozenAt = 0;
  try {
    for (let pass = 0; pass < CATCH_UP_PASSES; pass++) {
      if (hooks.cancelled?.()) throw new MoveCancelledError(`slot ${slot}: cancelled`);
      const copied = await copySlot(slot, from, to, false);
      count(copied);
      if (copied < 50) break;
    }
    if (hooks.cancelled?.()) throw new MoveCancelledError(`slot ${slot}: cancelled`);
    // Waits for commits of the slot in flight (they hold its row FOR SHARE); later ones see it frozen and wait.
    await from.query('UPDATE slot_owner SET frozen = true WHERE slot = $1', [slot]);
    frozenAt = performance.now();
    await setState(to, slot, 'frozen');
    count(await copySlot(slot, from, to, true));
    const mismatch = (await compareLogs(slot, from, to)) ?? (await compareSideTables(slot, from, to));
    if (mismatch) throw new SlotMoveFailedError(`slot ${slot}: copy differs from the source (${mismatch})`);
  } catch (err) {
    await rollBack(slot, from, to);
    throw err;
  }
  let epoch: number;
  try {
    epoch = await hooks.switchOwner(
      async (map) => {
        await to.query('UPDATE slot_moves SET state = $2, epoch = $3 WHERE slot = $1', [slot, 'switching', map.epoch]);
        await releaseSource(from, [slot], map);
        await claimTarget(to, [slot], map);
      },
      [slot],
      ends.toId,
    );
  } catch (err) {
    // Before the source let go, undo at once (the slot is frozen); after, the record lets a later run finish it.
    const still = await from.query('SELECT 1 AS one FROM slot_owner WHERE slot = $1', [slot]).catch(() => []);
    if (still.length > 0) await rollBack(slot, from, to).catch(() => {});
    throw err;
  }
  const freezeMs = performance.now() - frozenAt;
  return { rows, freezeMs, epoch, clean: () => cleanSource(slot, from, to) };
}

/**
 * Moves, in one switch, those of `slots` that have no players on the source (most slots of a small game): freeze
 * them, keep only the ones still empty, hand them over together. Returns the slots moved; the others are unfrozen.
 */
export async function moveEmptySlots(slots: readonly number[], ends: SlotEndpoints, hooks: Pick<SlotMoveHooks, 'switchOwner'>): Promise<{ moved: number[]; freezeMs: number; epoch: number }> {
  const { from, to } = ends;
  if (slots.length === 0) return { moved: [], freezeMs: 0, epoch: 0 };
  const frozen = (await from.query<{ slot: number }>('UPDATE slot_owner SET frozen = true WHERE slot = ANY($1::int[]) AND NOT frozen RETURNING slot', [slots])).map((r) => r.slot);
  const frozenAt = performance.now();
  const busy = new Set((await from.query<{ slot: number }>('SELECT DISTINCT slot FROM slot_players WHERE slot = ANY($1::int[])', [frozen])).map((r) => r.slot));
  const empty = frozen.filter((s) => !busy.has(s));
  if (busy.size > 0) await from.query('UPDATE slot_owner SET frozen = false WHERE slot = ANY($1::int[])', [[...busy]]);
  if (empty.length === 0) return { moved: [], freezeMs: 0, epoch: 0 };
  let epoch: number;
  try {
    await to.query("INSERT INTO slot_moves (slot, from_shard, to_shard, state, epoch) SELECT unnest($1::int[]), $2, $3, 'frozen', 0", [empty, ends.fromId, ends.toId]);
    epoch = await hooks.switchOwner(
      async (map) => {
        await to.query("UPDATE slot_moves SET state = 'switching', epoch = $2 WHERE slot = ANY($1::int[])", [empty, map.epoch]);
        await releaseSource(from, empty, map);
        await claimTarget(to, empty, map);
      },
      empty,
      ends.toId,
    );
  } catch (err) {
    const still = (await from.query<{ slot: number }>('SELECT slot FROM slot_owner WHERE slot = ANY($1::int[])', [empty]).catch(() => [])).map((r) => r.slot);
    if (still.length > 0) {
      await from.query('UPDATE slot_owner SET frozen = false WHERE slot = ANY($1::int[])', [still]).catch(() => {});
      await to.query('DELETE FROM slot_moves WHERE slot = ANY($1::int[])', [still]).catch(() => {});
    }
    throw err;
  }
  const freezeMs = performance.now() - frozenAt;
  await to.query('DELETE FROM slot_moves WHERE slot = ANY($1::int[])', [empty]);
  return { moved: empty, freezeMs, epoch };
}

async function setState(to: SqlExecutor, slot: number, state: SlotMoveState): Promise<void> {
  await to.query('UPDATE slot_moves SET state = $2 WHERE slot = $1', [slot, state]);
}

async function writeMap(tx: SqlExecutor, map: StoredMap): Promise<void> {
  await tx.query(
    `INSERT INTO realmstate_meta (key, value) VALUES ('map', $1::jsonb), ('epoch', $2::jsonb)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [JSON.stringify(map), JSON.stringify(map.epoch)],
  );
}

/** The source gives the slot up first: between this and claimTarget nobody owns it, so nobody commits to it. */
async function releaseSource(from: SqlShard, slots: readonly number[], map: StoredMap): Promise<void> {
  await from.transaction(async (tx) => {
    await tx.query('DELETE FROM slot_owner WHERE slot = ANY($1::int[])', [slots]);
    // Copied to the target while frozen: the target's relay publishes them (the stream drops an id it already has).
    await tx.query('DELETE FROM outbox WHERE player_id IN (SELECT player_id FROM slot_players WHERE slot = ANY($1::int[]))', [slots]);
    await writeMap(tx, map);
  });
}

async function claimTarget(to: SqlShard, slots: readonly number[], map: StoredMap): Promise<void> {
  await to.transaction(async (tx) => {
    await tx.query('INSERT INTO slot_owner (slot) SELECT unnest($1::int[]) ON CONFLICT (slot) DO UPDATE SET frozen = false', [slots]);
    await tx.query('UPDATE slot_moves SET state = $2 WHERE slot = ANY($1::int[])', [slots, 'cleaning']);
    const [current] = await tx.query<{ value: StoredMap }>("SELECT value FROM realmstate_meta WHERE key = 'map'");
    if (!current || current.value.epoch < map.epoch) await writeMap(tx, map);
  });
}

async function playersOf(db: SqlExecutor, slot: number): Promise<string[]> {
  return (await db.query<{ player_id: string }>('SELECT player_id FROM slot_players WHERE slot = $1 ORDER BY player_id', [slot])).map((r) => r.player_id);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Copies what the target lacks of the slot's rows. Events only ever grow by seq, so only the tail is copied;
 * the few rows that change in place (players row, snapshots, scores, checkpoints) are replaced. With `final`
 * (the slot frozen) also the outbox rows not yet published. Returns the rows written.
 */
async function copySlot(slot: number, from: SqlShard, to: SqlShard, final: boolean): Promise<number> {
  const players = await playersOf(from, slot);
  let rows = 0;
  if (players.length === 0) return 0;
  await to.query('INSERT INTO slot_players (slot, player_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [slot, players]);
  for (const ids of chunks(players, 500)) {
    const have = await to.query<{ player_id: string; seq: number }>('SELECT player_id, max(seq) AS seq FROM player_events WHERE player_id = ANY($1::text[]) GROUP BY player_id', [ids]);
    const after = new Map(have.map((r) => [r.player_id, Number(r.seq)]));
    let last = { player: '', seq: 0 };
    // Keyset pages over (player, seq): a player with a long log is copied in several statements.
    for (;;) {
      const page = await from.query<{ player_id: string; seq: number; type: string; data: string; recorded_at: string }>(
        `SELECT e.player_id, e.seq, e.type, e.data::text AS data, e.recorded_at::text AS recorded_at
           FROM player_events e JOIN unnest($1::text[], $2::bigint[]) AS b(player_id, after) ON e.player_id = b.player_id AND e.seq > b.after
          WHERE (e.player_id, e.seq) > ($3, $4)
          ORDER BY e.player_id, e.seq LIMIT $5`,
        [ids, ids.map((id) => after.get(id) ?? 0), last.player, last.seq, CHUNK],
      );
      if (page.length === 0) break;
      await to.query(
        `INSERT INTO player_events (player_id, seq, type, data, recorded_at)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::jsonb[], $5::timestamptz[]) ON CONFLICT DO NOTHING`,
        [page.map((r) => r.player_id), page.map((r) => r.seq), page.map((r) => r.type), page.map((r) => r.data), page.map((r) => r.recorded_at)],
      );
      rows += page.length;
      const tail = page[page.length - 1] as (typeof page)[number];
      last = { player: tail.player_id, seq: Number(tail.seq) };
      if (page.length < CHUNK) break;
    }
    // Every pass, the last one (frozen) included: these rows are written beside the log (the players row behind it,
    // snapshots in its commits, score copies and checkpoints after it), each fenced on the slot like a commit, so
    // during the freeze they stand still and the copy made then is exact (compareSideTables checks it).
    for (const t of SIDE_TABLES) rows += await replaceRows(from, to, ids, t.table, t.columns, t.types);
    if (final) {
      const outbox = await from.query<{ player_id: string; seq: number }>('SELECT player_id, seq FROM outbox WHERE player_id = ANY($1::text[]) ORDER BY id', [ids]);
      const known = await to.query<{ player_id: string; seq: number }>('SELECT player_id, seq FROM outbox WHERE player_id = ANY($1::text[])', [ids]);
      const there = new Set(known.map((r) => `${r.player_id}\u0000${r.seq}`));
      const missing = outbox.filter((r) => !there.has(`${r.player_id}\u0000${r.seq}`));
      if (missing.length > 0) {
        await to.query('INSERT INTO outbox (player_id, seq) SELECT * FROM unnest($1::text[], $2::bigint[])', [missing.map((r) => r.player_id), missing.map((r) => r.seq)]);
        rows += missing.length;
      }
    }
  }
  return rows;
}

/** Tables keyed by player beside the event log, copied whole per player (they are small per player). */
const SIDE_TABLES: ReadonlyArray<{ table: string; columns: string[]; types: string[] }> = [
  { table: 'players', columns: ['player_id', 'seq', 'state', 'updated_at'], types: ['text', 'bigint', 'jsonb', 'timestamptz'] },
  { table: 'player_snapshots', columns: ['player_id', 'seq', 'state', 'taken_at'], types: ['text', 'bigint', 'jsonb', 'timestamptz'] },
  { table: 'leaderboard_scores', columns: ['board', 'season', 'player_id', 'region', 'score', 'achieved_at'], types: ['text', 'text', 'text', 'text', 'bigint', 'timestamptz'] },
  { table: 'projection_checkpoints', columns: ['projection', 'player_id', 'seq'], types: ['text', 'text', 'bigint'] },
];

/** Compares the side tables' rows of the slot's players, count and content, on both shards (while frozen). */
async function compareSideTables(slot: number, from: SqlShard, to: SqlShard): Promise<string | undefined> {
  const players = await playersOf(from, slot);
  for (const ids of chunks(players, 2000)) {
    for (const { table, columns, types } of SIDE_TABLES) {
      // Each row as one text value that does not depend on the session (times in UTC), sorted here: the two
      // databases may differ in time zone and collation.
      const fields = columns.map((c, i) => (types[i] === 'timestamptz' ? `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')` : `${c}::text`));
      const text = fields.map((f) => `coalesce(${f}, '<null>')`).join(` || '|' || `);
      const read = async (db: SqlExecutor) =>
        (await db.query<{ r: string }>(`SELECT ${text} AS r FROM ${table} WHERE player_id = ANY($1::text[])`, [ids])).map((row) => row.r).sort();
      const [a, b] = await Promise.all([read(from), read(to)]);
      if (a.length !== b.length) return `${table}: ${a.length} rows on the source, ${b.length} on the target`;
      const i = a.findIndex((row, k) => row !== b[k]);
      if (i >= 0) return `${table}: row ${a[i]} on the source, ${b[i]} on the target`;
    }
  }
  return undefined;
}

/** Makes the target's rows of `table` for these players equal to the source's (both sides are small per player). */
async function replaceRows(from: SqlExecutor, to: SqlShard, ids: readonly string[], table: string, columns: readonly string[], types: readonly string[]): Promise<number> {
  const select = columns.map((c, i) => (types[i] === 'jsonb' || types[i] === 'timestamptz' ? `${c}::text AS ${c}` : c)).join(', ');
  const source = await from.query<Record<string, unknown>>(`SELECT ${select} FROM ${table} WHERE player_id = ANY($1::text[])`, [ids]);
  await to.transaction(async (tx) => {
    await tx.query(`DELETE FROM ${table} WHERE player_id = ANY($1::text[])`, [ids]);
    for (const part of chunks(source, CHUNK)) {
      const params = columns.map((c) => part.map((r) => r[c] ?? null));
      const unnest = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
      await tx.query(`INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${unnest})`, params);
    }
  });
  return source.length;
}

/**
 * Compares, for each player of the slot, the source's event count and highest seq with the target's events up to
 * that seq (after the switch the target may already hold newer ones). Returns what differs, if anything.
 */
async function compareLogs(slot: number, from: SqlShard, to: SqlShard): Promise<string | undefined> {
  const players = await playersOf(from, slot);
  for (const ids of chunks(players, 2000)) {
    const a = await from.query<{ player_id: string; n: number; seq: number }>(
      'SELECT player_id, count(*)::int AS n, max(seq) AS seq FROM player_events WHERE player_id = ANY($1::text[]) GROUP BY player_id',
      [ids],
    );
    const b = await to.query<{ player_id: string; n: number; seq: number }>(
      `SELECT e.player_id, count(*)::int AS n, max(e.seq) AS seq
         FROM player_events e JOIN unnest($1::text[], $2::bigint[]) AS s(player_id, upto) ON e.player_id = s.player_id AND e.seq <= s.upto
        GROUP BY e.player_id`,
      [a.map((r) => r.player_id), a.map((r) => r.seq)],
    );
    const there = new Map(b.map((r) => [r.player_id, r]));
    for (const r of a) {
      const t = there.get(r.player_id);
      if (!t || t.n !== r.n || Number(t.seq) !== Number(r.seq)) return `player ${r.player_id}: ${r.n} events up to seq ${r.seq} on the source, ${t?.n ?? 0} up to ${t?.seq ?? 0} on the target`;
    }
  }
  return undefined;
}

const PLAYER_TABLES = ['player_events', 'player_snapshots', 'players', 'leaderboard_scores', 'projection_checkpoints', 'outbox'];

async function deletePlayers(db: SqlShard, slot: number): Promise<void> {
  await db.transaction(async (tx) => {
    for (const table of PLAYER_TABLES) await tx.query(`DELETE FROM ${table} WHERE player_id IN (SELECT player_id FROM slot_players WHERE slot = $1)`, [slot]);
    await tx.query('DELETE FROM slot_players WHERE slot = $1', [slot]);
  });
}

/** Undoes a move before its switch: the source keeps the slot (unfrozen), the target forgets the copies. */
export async function rollBack(slot: number, from: SqlShard, to: SqlShard): Promise<void> {
  await from.query('UPDATE slot_owner SET frozen = false WHERE slot = $1', [slot]);
  await deletePlayers(to, slot);
  await to.query('DELETE FROM slot_moves WHERE slot = $1', [slot]);
}

/** After the switch: checks once more that the target has the whole log, then deletes the source's rows of the slot. */
async function cleanSource(slot: number, from: SqlShard, to: SqlShard): Promise<void> {
  const mismatch = await compareLogs(slot, from, to);
  if (mismatch) throw new SlotMoveFailedError(`slot ${slot} switched, but ${mismatch}; the source rows are kept`);
  await deletePlayers(from, slot);
  await to.query('DELETE FROM slot_moves WHERE slot = $1', [slot]);
}

/** Slot moves left by a mover that stopped, on every shard given. */
export async function pendingMoves(shards: readonly SqlShard[]): Promise<Array<SlotMoveRecord & { on: SqlShard }>> {
  const out: Array<SlotMoveRecord & { on: SqlShard }> = [];
  for (const shard of shards) {
    const rows = await shard.query<{ slot: number; from_shard: number; to_shard: number; state: SlotMoveState; epoch: number }>('SELECT slot, from_shard, to_shard, state, epoch FROM slot_moves ORDER BY slot');
    for (const r of rows) out.push({ slot: r.slot, fromShard: r.from_shard, toShard: r.to_shard, state: r.state, epoch: Number(r.epoch), on: shard });
  }
  return out;
}

/**
 * Finishes or undoes a slot move whose mover stopped. Before the source gave the slot up: undo (the source keeps
 * it). After: finish (the target claims it with the recorded map, then the source rows go).
 */
export async function recoverSlot(record: SlotMoveRecord, ends: SlotEndpoints, latestMap: () => Promise<StoredMap>): Promise<'rolled back' | 'finished'> {
  const { from, to } = ends;
  const [owned] = await from.query('SELECT 1 AS one FROM slot_owner WHERE slot = $1', [record.slot]);
  if (owned) {
    await rollBack(record.slot, from, to);
    return 'rolled back';
  }
  const [claimed] = await to.query('SELECT 1 AS one FROM slot_owner WHERE slot = $1', [record.slot]);
  if (!claimed) {
    const facts = await readShardFacts(from);
    const map = facts.map ?? (await latestMap());
    await claimTarget(to, [record.slot], map);
  }
  await cleanSource(record.slot, from, to);
  return 'finished';
}
