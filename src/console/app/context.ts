// What every screen gets: the typed client (the console talks to the server through it only), its part of the
// address, and timers that stop when the operator leaves the screen.
import type { RealmstateClient } from '../../client/index.js';

export interface ScreenContext {
  api: RealmstateClient;
  /** The parts of the address after the screen's name: `#/players/aria` → ['aria']. */
  params: string[];
  /** Goes to another address of the console. */
  go: (hash: string) => void;
  /** Runs `fn` now and every `ms` while the screen is shown; a run never overlaps the previous one. */
  every: (ms: number, fn: () => Promise<void>) => void;
}

export interface Screen {
  name: string;
  title: string;
  render: (root: HTMLElement, ctx: ScreenContext) => void;
}
