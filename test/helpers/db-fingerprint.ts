// A digest of everything a realm has stored: every table of every shard, row by row. Equal fingerprints before and
// after a run mean the run wrote nothing. New tables are included without changes here, except the admin audit
// log, which records refused admin requests too (that is its job) and so grows under any run.
const NOT_STATE = new Set(['admin_audit']);
import type { Realm } from '../../src/realm.js';
import { waitFor } from './wait.js';

/** Waits until pending writes are flushed and the outbox has drained, so background work cannot change the digest. */
export async function quiesce(realm: Realm): Promise<void> {
  expectTrue(await realm.players.flush(10_000), 'pending writes flushed');
  await waitFor(async () => {
    for (const shard of realm.sql.shards) {
      const rows = await shard.query<{ n: number | string }>('SELECT count(*) AS n FROM outbox');
      if (Number(rows[0]?.n) !== 0) return false;
    }
    return true;
  }, 'the outbox to drain');
}

export async function fingerprint(realm: Realm): Promise<Record<string, string>> {
  await quiesce(realm);
  const out: Record<string, string> = {};
  for (const shard of realm.sql.shards) {
    const tables = await shard.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`);
    for (const { name } of tables) {
      if (NOT_STATE.has(name)) continue;
      const [row] = await shard.query<{ n: number | string; digest: string | null }>(
        `SELECT count(*) AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM "${name}" t`,
      );
      out[`shard ${shard.index} ${name}`] = `${Number(row?.n)} rows ${row?.digest ?? '-'}`;
    }
  }
  return out;
}

function expectTrue(value: boolean, what: string): void {
  if (!value) throw new Error(`expected ${what}`);
}
