export { MemorySortedSets } from './memory-sorted-sets.js';
export { OrderStatisticList } from './order-statistic-list.js';
