// Which score writes are between "the sorted set changed" and "the durable copy was queued", per board and season.
// A rebuild waits for the ones running when it starts, so it sees every score the store had before it was wiped.
// A write that meets a missing set pauses (leaves) while that set is rebuilt, so a rebuild never waits for itself.
// Every score submission enters and leaves once, and rebuilds are rare: the promise a rebuild waits on is made only
// when one asks (`settled`), not for every write.

interface Waiter {
  /** Made by `settled` when a rebuild waits for this write. */
  done?: Promise<void>;
  resolve?: () => void;
}

export class InflightWrite {
  private current: Waiter | undefined;

  constructor(private readonly writes: InflightWrites, private readonly key: string) {
    this.resume();
  }

  /** Stops counting as in flight (while waiting for a rebuild). */
  pause(): void {
    if (!this.current) return;
    this.writes.leave(this.key, this.current);
    this.current = undefined;
  }

  resume(): void {
    this.current ??= this.writes.enter(this.key);
  }

  end(): void {
    this.pause();
  }
}

export class InflightWrites {
  /** Only board seasons with writes in flight have an entry, so old seasons leave nothing behind. */
  private readonly groups = new Map<string, Set<Waiter>>();

  begin(board: string, season: string): InflightWrite {
    return new InflightWrite(this, `${board}\u0000${season}`);
  }

  enter(key: string): Waiter {
    const waiter: Waiter = {};
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new Set()));
    group.add(waiter);
    return waiter;
  }

  leave(key: string, waiter: Waiter): void {
    waiter.resolve?.();
    const group = this.groups.get(key);
    if (!group) return;
    group.delete(waiter);
    if (group.size === 0) this.groups.delete(key);
  }

  /** Resolves when every write of this board and season that is in flight now has ended or paused. */
  async settled(board: string, season: string): Promise<void> {
    const group = this.groups.get(`${board}\u0000${season}`);
    if (!group) return;
    await Promise.all([...group].map((w) => (w.done ??= new Promise<void>((resolve) => (w.resolve = resolve)))));
  }
}
