// In-process broadcast: several realms in one process (tests, a game server embedding several) share a hub.
import type { Broadcast } from '../broadcast-port.js';

/** The "channel": every MemoryBroadcast made from one hub hears every other. */
export class MemoryBroadcastHub {
  private readonly handlers = new Set<(message: string) => void>();

  broadcast(): Broadcast {
    const hub = this.handlers;
    let mine: ((message: string) => void) | undefined;
    return {
      description: 'in-process',
      publish: async (message) => {
        // Delivered on a later turn, like a network broadcast, so a publisher never re-enters itself.
        for (const handler of [...hub]) setImmediate(() => handler(message));
      },
      subscribe: async (handler) => {
        if (mine) hub.delete(mine);
        mine = handler;
        hub.add(handler);
      },
      close: async () => {
        if (mine) hub.delete(mine);
        mine = undefined;
      },
    };
  }
}
