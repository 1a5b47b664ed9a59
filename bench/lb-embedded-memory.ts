// Child process of the lb-embedded scenario: the heap an in-process sorted set of N entries takes, measured alone.
// Run as `node --expose-gc --import tsx bench/lb-embedded-memory.ts <entries>`; prints one JSON line.
import { MemorySortedSets } from '../src/backends/memory/index.js';
import { benchEntries } from './lb-support.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const n = Number(process.argv[2]);
if (!Number.isInteger(n) || n <= 0) throw new Error('usage: lb-embedded-memory.ts <entries>');

const settle = () => {
  gc();
  gc();
};
settle();
const before = process.memoryUsage();
const store = new MemorySortedSets();
// The entries (and their player-id strings) are made during the measurement: the store keeps them, as it would
// keep those of submissions, while the loader's own objects are garbage by the second snapshot.
await store.restore('bench', async () => benchEntries(n, Date.now() * 1000), { force: true });
settle();
const after = process.memoryUsage();
const probe = await store.find('bench', 'p0');
// ArrayBuffers (typed arrays) live outside the V8 heap: they count too.
const used = (m: NodeJS.MemoryUsage) => m.heapUsed + m.arrayBuffers;
const heapBytes = used(after) - used(before);
// Then every player moves once to a random score (an insert and a delete each, in random places): the memory of a set
// that has lived a while, not just of a freshly loaded one.
let state = 12345;
const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
let at = Date.now() * 1000 + n;
for (let i = 0; i < n; i++) await store.submit('bench', `p${Math.floor(random() * n)}`, { op: 'set', value: -Math.floor(random() * 1_000_003), at: at++ });
settle();
const churned = process.memoryUsage();
// The store is used after the last snapshot, so it cannot be collected before it.
const last = await store.range('bench', n - 1, 1);
console.log(JSON.stringify({ entries: n, heapBytes, arrayBufferBytes: after.arrayBuffers - before.arrayBuffers, churnedHeapBytes: used(churned) - used(before), rssBytes: after.rss - before.rss, probePosition: probe?.position ?? null, last: last.length }));
