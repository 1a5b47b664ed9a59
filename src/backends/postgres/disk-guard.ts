// Keeps the embedded database away from a full or read-only disk. PGlite runs PostgreSQL inside this process, and
// when its writes fail with ENOSPC it spins instead of returning an error, freezing the whole server; so we stop
// sending it statements while free space is below a margin (or the directory cannot be written), answer 503
// instead, and resume by ourselves when space comes back.
import { statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnavailableError } from '../../errors.js';

export interface DiskGuardOptions {
  /** Refuse statements while less than this many bytes are free. Default 64 MiB (4 WAL segments). */
  minFreeBytes: number;
  /** How often the disk is looked at. Default 250 ms. */
  checkEveryMs: number;
}

export const DEFAULT_DISK_GUARD_OPTIONS: Readonly<DiskGuardOptions> = Object.freeze({ minFreeBytes: 64 * 1024 * 1024, checkEveryMs: 250 });

export class DiskGuard {
  private problem: string | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly dir: string, private readonly options: DiskGuardOptions = DEFAULT_DISK_GUARD_OPTIONS) {
    this.check();
    this.timer = setInterval(() => this.check(), options.checkEveryMs);
    this.timer.unref();
  }

  /** Looks at the disk now; returns the problem, if any. */
  check(): string | undefined {
    try {
      const s = statfsSync(this.dir);
      const free = s.bavail * s.bsize;
      if (free < this.options.minFreeBytes) {
        this.problem = `the data dir ${this.dir} has ${Math.floor(free / 2 ** 20)} MiB free, less than the ${Math.floor(this.options.minFreeBytes / 2 ** 20)} MiB margin; free some space (writes resume by themselves)`;
        return this.problem;
      }
      const probe = join(this.dir, '.write-probe');
      writeFileSync(probe, '');
      unlinkSync(probe);
      this.problem = undefined;
    } catch (err) {
      this.problem = `the data dir ${this.dir} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
    return this.problem;
  }

  /** Throws UnavailableError while the disk is not fit for writing. */
  assertWritable(): void {
    if (this.problem) throw new UnavailableError(this.problem);
  }

  get healthy(): boolean {
    return this.problem === undefined;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
