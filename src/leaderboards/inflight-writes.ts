// Which score writes are between "the sorted set changed" and "the durable copy was queued", per board and season.
// A rebuild waits for the ones running when it starts, so it sees every score the store had before it was wiped.
// A write that meets a missing set pauses (leaves) while that set is rebuilt, so a rebuild never waits for itself.

interface Waiter {
  done: Promise<void>;
  resolve: () => void;
}

function waiter(): Waiter {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return { done, resolve };
}

export class InflightWrite {
  private current: Waiter | undefined;

  constructor(private readonly group: Set<Waiter>) {
    this.resume();
  }

  /** Stops counting as in flight (while waiting for a rebuild). */
  pause(): void {
    if (!this.current) return;
    this.group.delete(this.current);
    this.current.resolve();
    this.current = undefined;
  }

  resume(): void {
    if (this.current) return;
    this.current = waiter();
    this.group.add(this.current);
  }

  end(): void {
    this.pause();
  }
}

export class InflightWrites {
  private readonly groups = new Map<string, Set<Waiter>>();

  private group(board: string, season: string): Set<Waiter> {
    const key = `${board}\u0000${season}`;
    let group = this.groups.get(key);
    if (!group) {
      group = new Set();
      this.groups.set(key, group);
    }
    return group;
  }

  begin(board: string, season: string): InflightWrite {
    return new InflightWrite(this.group(board, season));
  }

  /** Resolves when every write of this board and season that is in flight now has ended or paused. */
  async settled(board: string, season: string): Promise<void> {
    await Promise.all([...this.group(board, season)].map((w) => w.done));
  }
}
