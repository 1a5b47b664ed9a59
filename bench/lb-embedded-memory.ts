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
console.log(JSON.stringify({ entries: n, heapBytes: after.heapUsed - before.heapUsed, rssBytes: after.rss - before.rss, probePosition: probe?.position ?? null }));
