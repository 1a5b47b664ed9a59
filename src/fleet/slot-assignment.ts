// Which live instance should own each slot: rendezvous (highest random weight) hashing, so an instance joining or
// leaving moves only the slots it takes or gives (about 1/n of them), and every instance computes the same answer
// from the same list without talking to the others.
import { fnv1a32, SLOT_COUNT } from '../sharding/index.js';

/** Entry s: the id of the instance that should own slot s (empty list: empty array). */
export function assignSlots(instanceIds: readonly string[]): string[] {
  if (instanceIds.length === 0) return [];
  const seeds = instanceIds.map((id) => fnv1a32(id));
  const out: string[] = new Array<string>(SLOT_COUNT);
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    let best = -1;
    let owner = instanceIds[0] as string;
    for (let i = 0; i < instanceIds.length; i++) {
      const w = mix((seeds[i] as number) ^ Math.imul(slot + 1, 0x9e3779b1));
      if (w > best || (w === best && (instanceIds[i] as string) < owner)) {
        best = w;
        owner = instanceIds[i] as string;
      }
    }
    out[slot] = owner;
  }
  return out;
}

/** A 32-bit finalizer (murmur3's fmix32): spreads the weights so each instance wins about 1/n of the slots. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
