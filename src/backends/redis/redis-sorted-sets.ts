// Redis adapter of the sorted-set port. Each set is three keys sharing one hash tag (one Redis Cluster slot):
//   <prefix>lb:{<set>}:z  sorted set, member = <14 hex digits of at>:<playerId>, so equal scores order by time
//   <prefix>lb:{<set>}:h  hash playerId → <14 hex digits of at>|<score>: the entry, so a write reads it with one
//                         command (a value without '|', written by an older version, is the member; the next change
//                         of that entry rewrites it)
//   <prefix>lb:{<set>}:m  marker, written last by a restore; every script refuses to work on a set without it
// plus <prefix>lb:{<set>}:l, the lock that keeps two processes from rebuilding one set at once.
// On a Redis Cluster the hash tag keeps every script's keys on one node; sets of one board may live on different nodes.
// Data keys never expire: with an eviction policy that evicts them (allkeys-*), the marker is what tells us.
// Score writes are the hot path: on a single node the writes of one turn of the event loop go out as one script call
// per SUBMITS_PER_CALL writes (a full call at once, the rest with the turn's other commands: TurnBatcher), applied in order, each
// answered (or failed) on its own. Measured with 64 callers (bench/scenarios/lb-submit.ts), this took the adapter
// from 0.81x to 0.97x of raw ZADD and the client's CPU per write from 11.3 to 7.2 us: a command, its promise and
// its parse per write were most of the client's work, and Redis saves a script call's overhead per write too.
// Sent only at the end of the turn, the calls made the client and Redis take turns being idle (0.68x).
import { randomUUID } from 'node:crypto';
import { UnavailableError } from '../../errors.js';
import type {
  Neighbourhood, PlacedEntry, SortedSetEntry, SortedSetStore, SubmitOutcome, SubmitRequest,
} from '../sorted-set-port.js';
import { mergeFirst } from '../sorted-set-merge.js';
import { defineScripts, scriptFunctions, type ScriptFn } from './lua-scripts.js';
import { isCluster, redisFailure, TurnBatcher, type RedisClient } from './redis-client.js';
import { errorFromCode, isErrorCode } from './script-errors.js';

export interface RedisSortedSetsOptions {
  /** Prefix of every key. Default `rs:`. */
  keyPrefix?: string;
  /** Shown in logs and readiness. Default `Redis`. */
  label?: string;
  /** Entries per ZADD/HSET while restoring a set. Default 1000. */
  restoreChunk?: number;
  /** Time to live of the rebuild lock, renewed while the rebuild runs. Default 30000 ms. */
  lockTtlMs?: number;
  /** Longest a restore waits for another process's rebuild of the same set. Default 120000 ms. */
  lockWaitMs?: number;
}

export const DEFAULT_REDIS_SORTED_SETS_OPTIONS: Readonly<Required<RedisSortedSetsOptions>> = Object.freeze({
  keyPrefix: 'rs:',
  label: 'Redis',
  restoreChunk: 1000,
  lockTtlMs: 30_000,
  lockWaitMs: 120_000,
});

/** Width of the time part of a member: 14 hex digits hold any integer up to 2^56, more than the 2^53 of `at`. */
const AT_HEX_DIGITS = 14;

const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** The high 32 bits of the last time written, in hex: they change every 16.8 s of stamps. */
let lastHigh = -1;
let lastHighHex = '';

/**
 * `at` as 14 hex digits. Every score write makes one, and Number#toString(16) of a double this large took about
 * 300 ns; the high 32 bits, which rarely change, are kept, and the low 24 come from a table (about 30 ns).
 */
function atHex(at: number): string {
  const high = Math.floor(at / 0x1000000);
  const low = at - high * 0x1000000;
  if (high !== lastHigh) {
    lastHigh = high;
    lastHighHex = high.toString(16).padStart(AT_HEX_DIGITS - 6, '0');
  }
  return lastHighHex + (BYTE_HEX[low >>> 16] as string) + (BYTE_HEX[(low >>> 8) & 0xff] as string) + (BYTE_HEX[low & 0xff] as string);
}

export function memberOf(at: number, playerId: string): string {
  return `${atHex(at)}:${playerId}`;
}

export function parseMember(member: string, score: string | number): SortedSetEntry {
  return { playerId: member.slice(AT_HEX_DIGITS + 1), at: Number.parseInt(member.slice(0, AT_HEX_DIGITS), 16), score: Number(score) + 0 };
}

function parseFlat(flat: unknown): SortedSetEntry[] {
  const items = flat as string[];
  const out: SortedSetEntry[] = [];
  for (let i = 0; i + 1 < items.length; i += 2) out.push(parseMember(items[i] as string, items[i + 1] as string));
  return out;
}

const UNAVAILABLE_REPLY = /^(LOADING|BUSY|OOM|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface SetKeys {
  z: string;
  h: string;
  m: string;
  l: string;
}

/** A score write waiting for the end of the turn, when the turn's writes go to Redis together. */
interface PendingSubmit {
  set: string;
  playerId: string;
  /** The script's arguments for this write but the set's number (see submit-n.lua). */
  head: string;
  args: string[];
  resolve: (outcome: SubmitOutcome | undefined) => void;
  reject: (err: unknown) => void;
}

const OP_LETTERS: Readonly<Record<SubmitRequest['op'], string>> = { min: 'm', set: 's', add: 'a' };

/** Writes per script call at most: several calls per turn let Redis start on the first while the rest are built. */
const SUBMITS_PER_CALL = 16;

/** Key names of this many sets are kept (a set is a board season's region: few are in use at once). */
const KEY_CACHE_SIZE = 1024;

export class RedisSortedSets implements SortedSetStore {
  readonly label: string;
  private readonly prefix: string;
  private readonly call: (name: string, ...args: Array<string | number>) => Promise<unknown>;
  private readonly restoreChunk: number;
  private readonly lockTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly submitScript: ScriptFn;
  private readonly keyCache = new Map<string, SetKeys>();
  /** On a single node, the score writes of one turn go out as one script call per SUBMITS_PER_CALL writes. */
  private readonly submits: TurnBatcher<PendingSubmit> | undefined;
  /**
   * The union reads: on a single node only. A script must name every key it touches, and on a Redis Cluster the sets
   * of one board season carry different hash tags (each may live on another node), so there they stay per set.
   */
  readonly rangeUnion?: (sets: readonly string[], count: number) => Promise<SortedSetEntry[]>;
  readonly findInUnion?: (sets: readonly string[], playerId: string) => Promise<PlacedEntry | undefined>;

  constructor(private readonly client: RedisClient, options: RedisSortedSetsOptions = {}) {
    const o = { ...DEFAULT_REDIS_SORTED_SETS_OPTIONS, ...options };
    this.prefix = o.keyPrefix;
    this.label = o.label;
    this.restoreChunk = o.restoreChunk;
    this.lockTtlMs = o.lockTtlMs;
    this.lockWaitMs = o.lockWaitMs;
    this.call = defineScripts(client);
    const scripts = scriptFunctions(client);
    this.submitScript = scripts.get('submit') as ScriptFn;
    // On a Redis Cluster the sets of one turn may live on different nodes: there each write is its own call.
    this.submits = isCluster(client) ? undefined : new TurnBatcher(client, SUBMITS_PER_CALL, (writes) => this.sendSubmits(writes));
    if (!isCluster(client)) {
      const rangeUnion = scripts.get('range-union') as ScriptFn;
      const findUnion = scripts.get('find-union') as ScriptFn;
      const label = (sets: readonly string[]) => sets.join(', ');
      this.rangeUnion = async (sets, count) => {
        if (count <= 0 || sets.length === 0) return [];
        const keys = sets.flatMap((set) => {
          const k = this.keys(set);
          return [k.z, k.m];
        });
        // The script returns each set's best entries, enough of them that the first `count` of their merge is the answer.
        const lists = await this.run<unknown[]>(label(sets), () => rangeUnion(keys.length, ...keys, count));
        return lists.length === 1 ? parseFlat(lists[0]).slice(0, count) : mergeFirst(lists.map(parseFlat), count);
      };
      this.findInUnion = async (sets, playerId) => {
        if (sets.length === 0) return undefined;
        const keys = sets.flatMap((set) => {
          const k = this.keys(set);
          return [k.z, k.h, k.m];
        });
        const reply = await this.run<[string, string, number] | null>(label(sets), () => findUnion(keys.length, ...keys, playerId));
        return reply === null ? undefined : { ...parseMember(reply[1], reply[0]), position: reply[2] };
      };
    }
  }

  private keys(set: string): SetKeys {
    let keys = this.keyCache.get(set);
    if (keys) return keys;
    const base = `${this.prefix}lb:{${set}}`;
    keys = { z: `${base}:z`, h: `${base}:h`, m: `${base}:m`, l: `${base}:l` };
    if (this.keyCache.size >= KEY_CACHE_SIZE) this.keyCache.clear();
    this.keyCache.set(set, keys);
    return keys;
  }

  /** Runs a Redis call; transport failures become UnavailableError (503), script codes their errors. */
  private async run<T>(set: string, fn: () => Promise<unknown>): Promise<T> {
    let reply: unknown;
    try {
      reply = await fn();
    } catch (err) {
      throw this.failure(err);
    }
    if (isErrorCode(reply)) throw errorFromCode(reply, set);
    return reply as T;
  }

  submit(set: string, playerId: string, request: SubmitRequest): Promise<SubmitOutcome | undefined> {
    const carry = request.carry;
    const head = `${OP_LETTERS[request.op]}${request.onlyIfPresent ? '1' : '0'}${carry ? 'c' : '-'}`;
    const args = carry
      ? [playerId, String(request.value), atHex(request.at), String(carry.score), atHex(carry.at)]
      : [playerId, String(request.value), atHex(request.at)];
    return new Promise((resolve, reject) => {
      const write: PendingSubmit = { set, playerId, head, args, resolve, reject };
      if (this.submits) this.submits.add(write);
      else this.sendSubmits([write]);
    });
  }

  /** One script call for the writes, in order; each write gets its own answer or error. */
  private sendSubmits(writes: readonly PendingSubmit[]): void {
    // Each set's keys go once, however many writes of the call touch it.
    const keys: string[] = [];
    const argv: string[] = [];
    const numbers = new Map<string, number>();
    for (const w of writes) {
      let n = numbers.get(w.set);
      if (n === undefined) {
        const k = this.keys(w.set);
        keys.push(k.z, k.h, k.m);
        numbers.set(w.set, (n = numbers.size + 1));
      }
      argv.push(w.head + n, ...w.args);
    }
    let sent: Promise<unknown>;
    try {
      sent = this.submitScript(keys.length, ...keys, ...argv);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (reply) => {
        const answers = reply as Array<[number, string, number, number] | null | number | Error>;
        writes.forEach((w, i) => {
          const answer = answers[i];
          if (answer === null || answer === undefined) return w.resolve(undefined);
          if (answer instanceof Error) return w.reject(this.failure(answer));
          if (isErrorCode(answer)) return w.reject(errorFromCode(answer, w.set));
          const [score, member, position, changed] = answer as [number, string, number, number];
          // The member is <at>:<playerId> of this very player: only its time needs reading.
          const entry: PlacedEntry = { playerId: w.playerId, at: Number.parseInt(member.slice(0, AT_HEX_DIGITS), 16), score: score + 0, position };
          w.resolve({ entry, changed: changed === 1 });
        });
      },
      (err: unknown) => {
        const failure = this.failure(err);
        for (const w of writes) w.reject(failure);
      },
    );
  }

  /** A failed Redis call as callers see it: transport failures and busy servers become UnavailableError (503). */
  private failure(err: unknown): unknown {
    const e = err as { name?: string; message?: string };
    if (e.name !== 'ReplyError' || UNAVAILABLE_REPLY.test(e.message ?? '')) {
      return new UnavailableError(`${this.label} is unavailable: ${redisFailure(this.client, err)}`, { cause: err });
    }
    return err;
  }

  async take(set: string, playerId: string): Promise<SortedSetEntry | undefined> {
    const k = this.keys(set);
    const reply = await this.run<[string, string] | null>(set, () => this.call('take', k.z, k.h, k.m, playerId));
    return reply === null ? undefined : parseMember(reply[1], reply[0]);
  }

  async find(set: string, playerId: string): Promise<PlacedEntry | undefined> {
    const k = this.keys(set);
    const reply = await this.run<[string, string, number] | null>(set, () => this.call('find', k.z, k.h, k.m, playerId));
    return reply === null ? undefined : { ...parseMember(reply[1], reply[0]), position: reply[2] };
  }

  async range(set: string, start: number, count: number): Promise<SortedSetEntry[]> {
    if (count <= 0) return [];
    const k = this.keys(set);
    return parseFlat(await this.run(set, () => this.call('range', k.z, k.m, start, start + count - 1)));
  }

  async neighbourhood(set: string, key: SortedSetEntry, above: number, below: number): Promise<Neighbourhood> {
    const k = this.keys(set);
    const [ahead, before, after] = await this.run<[number, unknown, unknown]>(set, () =>
      this.call('neighbourhood', k.z, k.m, String(key.score), memberOf(key.at, key.playerId), above, below),
    );
    return { ahead, above: parseFlat(before), below: parseFlat(after) };
  }

  async restore(set: string, load: () => Promise<Iterable<SortedSetEntry>>, options: { force: boolean }): Promise<number | undefined> {
    const k = this.keys(set);
    const token = randomUUID();
    const giveUpAt = Date.now() + this.lockWaitMs;
    for (;;) {
      const locked = await this.run<string | null>(set, () => this.client.set(k.l, token, 'PX', this.lockTtlMs, 'NX'));
      if (locked === 'OK') break;
      // Another process is rebuilding this set; a lazy restore is done once it is.
      if (!options.force && (await this.exists(set))) return undefined;
      if (Date.now() > giveUpAt) throw new UnavailableError(`${this.label}: gave up waiting for another process to rebuild ${set}`);
      await sleep(25);
    }
    const renew = setInterval(() => void this.call('renew', k.l, token, this.lockTtlMs).catch(() => {}), Math.max(100, this.lockTtlMs / 3));
    renew.unref();
    try {
      if (!options.force && (await this.exists(set))) return undefined;
      await this.run(set, () => this.client.del(k.m, k.z, k.h));
      let batch: SortedSetEntry[] = [];
      let loaded = 0;
      const seen = new Set<string>();
      const write = async () => {
        if (batch.length === 0) return;
        const zadd: string[] = [];
        const hset: string[] = [];
        for (const e of batch) {
          const member = memberOf(e.at, e.playerId);
          zadd.push(String(e.score), member);
          hset.push(e.playerId, `${atHex(e.at)}|${String(e.score)}`);
        }
        batch = [];
        await this.run(set, () => Promise.all([this.client.zadd(k.z, ...zadd), this.client.hset(k.h, ...hset)]));
      };
      for (const e of await load()) {
        // A player listed twice would leave a stale member behind; the loader gives each once, this makes sure.
        if (seen.has(e.playerId)) throw new Error(`restore of ${set}: player ${e.playerId} listed twice`);
        seen.add(e.playerId);
        batch.push(e);
        loaded++;
        if (batch.length >= this.restoreChunk) await write();
      }
      await write();
      await this.run(set, () => this.client.set(k.m, '1'));
      return loaded;
    } finally {
      clearInterval(renew);
      await this.call('unlock', k.l, token).catch(() => {});
    }
  }

  async exists(set: string): Promise<boolean> {
    return (await this.run<number>(set, () => this.client.exists(this.keys(set).m))) === 1;
  }

  async drop(set: string): Promise<void> {
    const k = this.keys(set);
    await this.run(set, () => this.client.del(k.m, k.z, k.h));
  }

  async ping(): Promise<void> {
    await this.run('', () => this.client.ping());
  }
}
