// The slot of a player: FNV-1a (32-bit) over the UTF-8 bytes of the id, modulo 4096.
// FNV-1a is tiny, has no dependencies, and is specified exactly (http://www.isthe.com/chongo/tech/comp/fnv/),
// so any other program can compute the same slot. Changing it would move every player: never change it.

export const SLOT_COUNT = 4096;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnv1a32(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  let hash = FNV_OFFSET_BASIS;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

export function slotOf(playerId: string): number {
  return fnv1a32(playerId) % SLOT_COUNT;
}
