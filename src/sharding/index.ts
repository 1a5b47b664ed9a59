export { SLOT_COUNT, slotOf, fnv1a32 } from './slot-hash.js';
export { SlotMap } from './slot-map.js';
export { ShardRouter } from './shard-router.js';
