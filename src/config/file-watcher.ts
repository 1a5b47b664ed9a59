// Notices changes of one file, whichever way an editor or a deploy tool makes them.
//
// The directory is watched, not the file: an editor that writes a temp file and renames it over the original
// replaces the inode, and a watch on the old inode would go silent. Events are filtered by file name and
// debounced, so a burst of writes (truncate, then write, then chmod) gives one callback after it settles.
// Kubernetes ConfigMap volumes swap a `..data` symlink instead of touching the file, so that name counts too.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface FileWatcherOptions {
  /** Quiet time after the last event before `onChange` runs. */
  debounceMs: number;
  /** Told about a watcher failure (e.g. the directory was removed); the watcher is then stopped. */
  onError: (err: Error) => void;
}

export class FileWatcher {
  private readonly watcher: FSWatcher;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(file: string, onChange: () => void, options: FileWatcherOptions) {
    const name = basename(file);
    this.watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (this.closed) return;
      const changedName = changed === null ? null : String(changed);
      if (changedName !== null && changedName !== name && !changedName.startsWith('..data')) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.closed) onChange();
      }, options.debounceMs);
    });
    this.watcher.on('error', (err) => {
      options.onError(err);
      this.close();
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher.close();
  }
}
