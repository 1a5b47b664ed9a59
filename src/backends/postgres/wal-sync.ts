// PGlite runs with fsync off, and its file system layer (emscripten NODEFS) turns PostgreSQL's own fsync calls into
// no-ops, so a commit reaches the kernel but not the disk: a killed process loses nothing, a power cut may. After
// a write transaction, flushing the newest WAL segments (which hold the commit record) makes the commit durable;
// crash recovery replays the rest of the data files from the WAL.
import { closeSync, fdatasyncSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const SEGMENT = /^[0-9A-F]{24}$/;

export class WalSync {
  private readonly walDir: string;

  constructor(pgDataDir: string) {
    this.walDir = join(pgDataDir, 'pg_wal');
  }

  /** fdatasync of the two newest WAL segments (a commit record may straddle a segment switch). */
  sync(): void {
    const segments = readdirSync(this.walDir).filter((f) => SEGMENT.test(f)).sort().slice(-2);
    for (const name of segments) {
      const fd = openSync(join(this.walDir, name), 'r+');
      try {
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }
}
