// One instance's part in a fleet: it says it is alive, holds the leases of the slots the live instances assign to
// it, gives up (after committing them) the slots that move to another instance, and knows who holds the others so
// requests can be forwarded there. Leases live in PostgreSQL, beside the rows they protect: the commit transaction
// checks its own lease on its own database.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { SqlCluster } from '../backends/postgres/index.js';
import type { PlayerStore } from '../players/index.js';
import { SLOT_COUNT, slotOf, type ShardRouter } from '../sharding/index.js';
import { assignSlots } from './slot-assignment.js';
import { claimSlots, heartbeat, leaseHolders, releaseSlots, transferSlots, type InstanceRow } from './slot-leases.sql.js';

export interface FleetOptions {
  /** The address other instances forward requests to (REALMSTATE_ADVERTISE_URL); undefined: this instance owns every player. */
  advertiseUrl: string | undefined;
  /** A dead instance's slots are taken over within this long (REALMSTATE_LEASE_MS). Default 10000. */
  leaseMs: number;
}

export interface InstanceInfo {
  id: string;
  url: string | null;
  slots: number;
  startedAt: string;
  lastSeenAt: string;
}

/** Where a request for a player should be served. */
export type Route = { kind: 'local' } | { kind: 'remote'; instance: string; url: string } | { kind: 'none' };

export class Fleet {
  readonly id: string;
  readonly startedAt = new Date().toISOString();
  /** Per shard: slot → local deadline (performance.now()) until which this instance may serve it. */
  private readonly held: Array<Map<number, number>>;
  /** Per shard: slot → instance id holding an unexpired lease, as last read. */
  private holders: Array<Map<number, string>>;
  private instances: InstanceRow[] = [];
  private releasing = new Set<number>();
  /** Requests being served here, by slot: a slot given away waits for its own to finish before its last commit. */
  private readonly serving = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private lastTickAt = 0;
  /** Looks started so far: a request that needs a view newer than its arrival waits for a later one. */
  private ticksStarted = 0;
  private givingUp: Promise<void> | undefined;
  private leaseOps: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastSeenAt = this.startedAt;
  /** The lease outlives a renewal period by enough that two missed renewals still do not lose it. */
  private readonly ttlMs: number;
  private readonly periodMs: number;

  constructor(
    private readonly sql: SqlCluster,
    private readonly router: ShardRouter,
    private readonly players: PlayerStore,
    readonly options: FleetOptions,
    private readonly log: Logger,
  ) {
    this.id = `${hostname().replace(/[^A-Za-z0-9-]/g, '').slice(0, 24) || 'rs'}-${randomBytes(4).toString('hex')}`;
    this.held = sql.shards.map(() => new Map());
    this.holders = sql.shards.map(() => new Map());
    // A dead holder's lease expires at most ttl after its last renewal, and the others look every period:
    // the slot is served again within ttl + period = leaseMs.
    this.ttlMs = Math.round(options.leaseMs * 0.75);
    this.periodMs = Math.max(50, Math.round(options.leaseMs * 0.25));
  }

  get enabled(): boolean {
    return this.options.advertiseUrl !== undefined;
  }

  /** Joins the fleet: takes the first leases before the server listens. */
  async start(): Promise<void> {
    if (!this.enabled) return;
    // The store refuses only players whose lease is gone: a request admitted before its slot started moving finishes here.
    this.players.setOwnership({ owns: (id) => this.holds(id), fence: { instance: this.id } });
    await this.tick();
    this.schedule();
  }

  /** Whether this instance takes new requests for the player now. */
  owns(playerId: string): boolean {
    return this.holds(playerId) && !this.releasing.has(slotOf(playerId));
  }

  /** Whether this instance holds the lease of the player's slot (it may be giving it away). */
  holds(playerId: string): boolean {
    if (!this.enabled) return true;
    const until = this.held[this.router.shardOf(playerId)]?.get(slotOf(playerId));
    return until !== undefined && until > performance.now();
  }

  /** A request for the player is served here from now until `done` is called. */
  serve(playerId: string): () => void {
    const slot = slotOf(playerId);
    this.serving.set(slot, (this.serving.get(slot) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.serving.get(slot) ?? 1) - 1;
      if (left > 0) this.serving.set(slot, left);
      else this.serving.delete(slot);
    };
  }

  /** What this instance knows of the player's slot, for an error that says why a request could not be placed. */
  slotView(playerId: string): { slot: number; held: boolean; releasing: boolean; holder: string | null } {
    const slot = slotOf(playerId);
    return { slot, held: this.holds(playerId), releasing: this.releasing.has(slot), holder: this.holders[this.router.shardOf(playerId)]?.get(slot) ?? null };
  }

  route(playerId: string): Route {
    if (this.owns(playerId)) return { kind: 'local' };
    const holder = this.holders[this.router.shardOf(playerId)]?.get(slotOf(playerId));
    if (holder === undefined || holder === this.id) return { kind: 'none' };
    const url = this.instances.find((i) => i.id === holder)?.url;
    return url === undefined ? { kind: 'none' } : { kind: 'remote', instance: holder, url };
  }

  /**
   * A request is waiting for a slot nobody serves (its owner died, or it is being handed over): look again soon
   * instead of at the next period, at most every tenth of a period.
   */
  nudge(): void {
    if (!this.enabled || this.stopped || this.ticking || performance.now() - this.lastTickAt < this.periodMs / 10) return;
    if (this.timer) clearTimeout(this.timer);
    this.run();
  }

  /**
   * Waits for a look at the leases that started after this call (starting one if none is under way): for a request
   * forwarded here by an instance whose view differs from this one's. A slot just handed over to this instance is
   * then held here, and one handed on from here names its new holder, so two instances never pass a request back and
   * forth on views older than the hand-over. Requests arriving together share one look.
   */
  async lookAgain(): Promise<void> {
    if (!this.enabled || this.stopped) return;
    const after = this.ticksStarted;
    while (this.ticksStarted <= after && !this.stopped) {
      if (this.ticking) await this.ticking;
      else {
        if (this.timer) clearTimeout(this.timer);
        this.run();
      }
    }
    await this.ticking;
  }

  /** The live instances and how many slots each holds (this one alone, with every slot, outside a fleet). */
  list(): InstanceInfo[] {
    if (!this.enabled) return [{ id: this.id, url: null, slots: SLOT_COUNT, startedAt: this.startedAt, lastSeenAt: new Date().toISOString() }];
    const counts = new Map<string, Set<number>>();
    for (const shard of this.holders) {
      for (const [slot, id] of shard) {
        const set = counts.get(id) ?? new Set<number>();
        set.add(slot);
        counts.set(id, set);
      }
    }
    const rows = this.instances.some((i) => i.id === this.id) ? this.instances : [...this.instances, { id: this.id, url: this.options.advertiseUrl as string, startedAt: this.startedAt, lastSeenAt: this.lastSeenAt }];
    return rows.map((i) => ({ id: i.id, url: i.url, slots: counts.get(i.id)?.size ?? 0, startedAt: i.startedAt, lastSeenAt: i.lastSeenAt }));
  }

  /** Leaves the fleet after the players flushed: gives up every lease so the others take the slots at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking?.catch(() => {});
    await this.givingUp;
    if (!this.enabled) return;
    // Handed straight to the instances that take them without this one (as a hand-over does); released when it is the last.
    const others = this.instances.map((i) => i.id).filter((id) => id !== this.id);
    const assigned = assignSlots(others.sort());
    await Promise.all(
      this.sql.shards.map(async (shard, i) => {
        const slots = [...(this.held[i] as Map<number, number>).keys()];
        (this.held[i] as Map<number, number>).clear();
        const to = new Map(assigned.length === 0 ? [] : slots.map((s) => [s, assigned[s] as string]));
        await transferSlots(shard, this.id, to, this.ttlMs)
          .then(() => releaseSlots(shard, this.id, slots))
          .catch((err: unknown) => this.log.warn({ err, shard: i }, 'could not give up the slot leases; they expire by themselves'));
        await shard.query('DELETE FROM fleet_instances WHERE id = $1', [this.id]).catch(() => {});
      }),
    );
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.run(), this.periodMs);
  }

  private run(): void {
    this.timer = undefined;
    this.ticking = this.tick()
      .catch((err: unknown) => this.log.warn({ err }, 'fleet lease renewal failed; slots whose lease runs out stop being served here'))
      .finally(() => {
        this.ticking = undefined;
        this.schedule();
      });
  }

  private async tick(): Promise<void> {
    this.lastTickAt = performance.now();
    this.ticksStarted++;
    const me = { id: this.id, url: this.options.advertiseUrl as string, startedAt: this.startedAt };
    // Alive on every shard that answers: one shard down stops only its own players' writes.
    const seen = await Promise.allSettled(this.sql.shards.map((s) => heartbeat(s, me, this.ttlMs)));
    const live = new Map<string, InstanceRow>();
    for (const r of seen) {
      if (r.status !== 'fulfilled') continue;
      for (const i of r.value) {
        const known = live.get(i.id);
        if (!known || known.lastSeenAt < i.lastSeenAt) live.set(i.id, i);
      }
    }
    if (live.size === 0) throw (seen.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    this.instances = [...live.values()];
    this.lastSeenAt = live.get(this.id)?.lastSeenAt ?? this.lastSeenAt;
    const assigned = assignSlots([...live.keys()].sort());
    await this.exclusively(() => this.claim(assigned));
    // In the background: the renewals of the other slots must not wait for the hand-over's commits.
    const leaving = new Set<number>();
    for (const held of this.held) for (const slot of held.keys()) if (assigned[slot] !== this.id && !this.releasing.has(slot)) leaving.add(slot);
    if (leaving.size > 0 && !this.givingUp) {
      this.givingUp = this.giveUp(leaving, assigned)
        .catch((err: unknown) => this.log.warn({ err }, 'could not give slots away; trying again at the next renewal'))
        .finally(() => (this.givingUp = undefined));
    }
  }

  /** Takes or renews the slots assigned here, and renews those being handed over until they are released. */
  private async claim(assigned: readonly string[]): Promise<void> {
    await Promise.all(
      this.sql.shards.map(async (shard, i) => {
        const held = this.held[i] as Map<number, number>;
        const want = assigned.flatMap((owner, slot) => (owner === this.id || held.has(slot) ? [slot] : []));
        const started = performance.now();
        try {
          const got = await claimSlots(shard, this.id, want, this.ttlMs);
          const gotSet = new Set(got);
          const fresh = got.filter((slot) => !held.has(slot));
          for (const slot of held.keys()) if (!gotSet.has(slot)) held.delete(slot);
          // The local deadline starts before the statement was sent, so it ends before the database's expiry.
          for (const slot of got) held.set(slot, started + this.ttlMs);
          if (fresh.length > 0) {
            // Whatever this process remembers of these players predates the other owner's writes.
            const freshSet = new Set(fresh);
            this.players.forget((id) => this.router.shardOf(id) === i && freshSet.has(slotOf(id)));
          }
          this.holders[i] = await leaseHolders(shard);
        } catch (err) {
          this.log.warn({ err, shard: i }, 'could not renew the slot leases of a shard');
        }
      }),
    );
  }

  /** Claims and releases one at a time: a renewal racing a release would take the released slot back. */
  private exclusively<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.leaseOps.then(fn, fn);
    this.leaseOps = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Slots assigned to another live instance: stop taking requests for them, commit everything acknowledged for them,
   * then release the leases so the new owner starts from the committed log (a `batched` seq stays final).
   */
  private async giveUp(leaving: ReadonlySet<number>, assigned: readonly string[]): Promise<void> {
    for (const slot of leaving) this.releasing.add(slot);
    try {
      // New requests for these slots are forwarded now; the ones already admitted finish here first (their appends
      // are then in the commit queue), up to half a lease.
      const began = performance.now();
      const until = began + this.ttlMs / 2;
      while ([...leaving].some((slot) => this.serving.has(slot)) && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
      // The new owner loads from the log: the events must be committed; the `players` rows may follow (they never go back in seq).
      const admittedMs = Math.round(performance.now() - began);
      const flushed = await this.players.drainCommits(this.ttlMs, leaving);
      const drainedMs = Math.round(performance.now() - began) - admittedMs;
      if (!flushed) this.log.warn({ slots: leaving.size }, 'giving up slots with appends not yet committed; the new owner reloads from the log');
      await this.exclusively(() =>
        Promise.all(
          this.sql.shards.map(async (shard, i) => {
            const held = this.held[i] as Map<number, number>;
            const to = new Map([...leaving].filter((s) => held.has(s)).map((s) => [s, assigned[s] as string]));
            // Straight to the new owner: the slot always has a holder, and the others forward to it from their next look.
            await transferSlots(shard, this.id, to, this.ttlMs);
            for (const [s, owner] of to) {
              held.delete(s);
              (this.holders[i] as Map<number, string>).set(s, owner);
            }
          }),
        ),
      );
      this.players.forget((id) => leaving.has(slotOf(id)));
      this.log.info({ slots: leaving.size, instances: this.instances.length, admittedMs, drainedMs, totalMs: Math.round(performance.now() - began) }, 'gave slots to other instances');
    } finally {
      for (const slot of leaving) this.releasing.delete(slot);
    }
  }
}
