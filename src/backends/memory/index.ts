export { MemorySortedSets } from './memory-sorted-sets.js';
export { EntryTree } from './entry-tree.js';
