// The rate-window port: sliding windows of amounts per key (anti-cheat's statRate and eventRate rules, per player).
// In-process (memory/memory-rate-windows.ts) for one instance; Redis (redis/redis-rate-windows.ts) so that
// every instance of a fleet counts in the same windows.

export interface WindowAdd {
  /** The window's key (rule and player). */
  key: string;
  /** Length of the sliding window. */
  windowMs: number;
  /** Most the amounts in one window may add up to. */
  limit: number;
  /** This write's amount (≥ 1). */
  amount: number;
  /** True: when the limit would be passed, add nothing. False: add anyway (the caller only records that it was passed). */
  enforce: boolean;
}

export interface WindowOutcome {
  /** Whether the amount was added. */
  added: boolean;
  /** The window's total before this amount. */
  before: number;
  /** Takes the amount back (the write it counted was then refused or failed); a no-op when nothing was added. */
  undo: () => Promise<void>;
}

export interface RateWindowStore {
  readonly description: string;
  /** Drops what left the window, then adds the amount (atomically per key, see `enforce`). */
  add(request: WindowAdd, nowMs: number): Promise<WindowOutcome>;
  /** Several windows at once (those one write meets), each exactly as `add` in turn, outcomes in the same order. */
  addAll(requests: readonly WindowAdd[], nowMs: number): Promise<WindowOutcome[]>;
  close(): Promise<void>;
}
