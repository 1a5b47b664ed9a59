// Reading the durable slot map: every shard keeps a copy written at each switch of a slot, and the copy with the
// highest epoch is the map. Ownership itself (what commits are fenced on) is each shard's slot_owner rows.
import { readShardFacts, type StoredMap } from '../backends/postgres/migrate.js';
import type { SqlCluster, SqlExecutor } from '../backends/postgres/index.js';
import { UnavailableError } from '../errors.js';
import { SLOT_COUNT } from './slot-hash.js';
import { SlotMap } from './slot-map.js';

export interface LoadedMap {
  epoch: number;
  map: SlotMap;
  /** Shard id of each listed database, by its index in the cluster. */
  ids: number[];
}

/** The URL list misses a shard that owns slots: starting would route its players nowhere. */
export class MissingShardError extends Error {}

/** Reads ids and the newest map copy from every shard; `tolerateDown` skips shards that do not answer (a reload). */
export async function loadSlotMap(cluster: SqlCluster, options: { tolerateDown?: boolean; knownIds?: readonly number[] } = {}): Promise<LoadedMap> {
  const ids: number[] = [];
  let latest: StoredMap | undefined;
  for (const [i, shard] of cluster.shards.entries()) {
    let facts;
    try {
      facts = await readShardFacts(shard);
    } catch (err) {
      const known = options.knownIds?.[i];
      if (!options.tolerateDown || known === undefined) throw err;
      ids.push(known);
      continue;
    }
    if (facts.id === undefined) throw new Error(`${shard.label} has no shard id; run the migrations first`);
    ids.push(facts.id);
    if (facts.map && facts.map.owners.length === SLOT_COUNT && (!latest || facts.map.epoch > latest.epoch)) latest = facts.map;
  }
  if (!latest) throw new UnavailableError('no shard holds a slot map');
  const missing = new Map<number, number>();
  for (const owner of latest.owners) if (!ids.includes(owner)) missing.set(owner, (missing.get(owner) ?? 0) + 1);
  if (missing.size > 0) {
    const names = [...missing].map(([id, n]) => `shard ${id} (owns ${n} slots)`).join(', ');
    const embedded = cluster.shards[0]?.label.startsWith('embedded') ?? false;
    throw new MissingShardError(
      embedded
        ? `the slot map (epoch ${latest.epoch}) gives slots to ${names}, beyond REALMSTATE_SHARDS=${cluster.shards.length} of this data dir. ` +
            `Raise REALMSTATE_SHARDS back, or drain the shard first (POST /v1/admin/shards/{id}:drain) before lowering it.`
        : `the slot map (epoch ${latest.epoch}) gives slots to ${names}, which DATABASE_URLS does not list. ` +
            `Add its URL back, or drain it first (realmstate shards drain <id>) before removing it.`,
    );
  }
  return { epoch: latest.epoch, map: SlotMap.fromArray(latest.owners), ids };
}

/** The newest epoch any shard has seen (cheap: polled to notice moves made by other processes). */
export async function readEpoch(db: SqlExecutor): Promise<number> {
  const [row] = await db.query<{ value: unknown }>("SELECT value FROM realmstate_meta WHERE key = 'epoch'");
  return typeof row?.value === 'number' ? row.value : 0;
}
