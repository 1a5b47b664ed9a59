// Sliding windows in process memory: exact for one instance (appends of one player run one at a time).
import type { RateWindowStore, WindowAdd, WindowOutcome } from '../rate-window-port.js';

interface Window {
  entries: Array<{ at: number; amount: number; id: number }>;
  total: number;
  windowMs: number;
}

/** How often windows with nothing left in them are dropped, so idle players cost no memory. */
const SWEEP_MS = 60_000;

export class MemoryRateWindows implements RateWindowStore {
  readonly description = 'in-process';
  private readonly windows = new Map<string, Window>();
  private nextId = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sweep(Date.now()), SWEEP_MS);
    this.timer.unref();
  }

  async add(request: WindowAdd, nowMs: number): Promise<WindowOutcome> {
    let window = this.windows.get(request.key);
    if (!window) this.windows.set(request.key, (window = { entries: [], total: 0, windowMs: request.windowMs }));
    window.windowMs = request.windowMs;
    prune(window, nowMs);
    const before = window.total;
    if (request.enforce && before + request.amount > request.limit) return { added: false, before, undo: async () => {} };
    const id = this.nextId++;
    window.entries.push({ at: nowMs, amount: request.amount, id });
    window.total += request.amount;
    const w = window;
    return {
      added: true,
      before,
      undo: async () => {
        const i = w.entries.findIndex((e) => e.id === id);
        if (i < 0) return;
        w.total -= (w.entries[i] as Window['entries'][number]).amount;
        w.entries.splice(i, 1);
      },
    };
  }

  async addAll(requests: readonly WindowAdd[], nowMs: number): Promise<WindowOutcome[]> {
    const out: WindowOutcome[] = [];
    for (const r of requests) out.push(await this.add(r, nowMs));
    return out;
  }

  private sweep(nowMs: number): void {
    for (const [key, window] of this.windows) {
      prune(window, nowMs);
      if (window.entries.length === 0) this.windows.delete(key);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.windows.clear();
  }
}

function prune(window: Window, nowMs: number): void {
  let drop = 0;
  while (drop < window.entries.length && (window.entries[drop] as Window['entries'][number]).at <= nowMs - window.windowMs) {
    window.total -= (window.entries[drop] as Window['entries'][number]).amount;
    drop++;
  }
  if (drop > 0) window.entries.splice(0, drop);
}
