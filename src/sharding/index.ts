export { SLOT_COUNT, slotOf, fnv1a32 } from './slot-hash.js';
export { SlotMap } from './slot-map.js';
export { ShardRouter } from './shard-router.js';
export { checkSlotOwnership, playerRowsFence, type SlotFence } from './slot-fence.js';
export { loadSlotMap, readEpoch, MissingShardError, type LoadedMap } from './slot-map-store.js';
