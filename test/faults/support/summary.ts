// Global setup of the fault suite: clears the books before, prints the summary table after.
import { readBooks, resetBooks } from './books-file.js';

export function setup(): void {
  resetBooks();
}

export function teardown(): void {
  const rows = readBooks();
  if (rows.length === 0) return;
  const head = ['scenario', 'acknowledged', 'lost', 'duplicated', 'time to recover'];
  const cells = rows.map((r) => [r.scenario, String(r.acknowledged), String(r.lost), String(r.duplicated), `${r.recoverSeconds.toFixed(1)} s`]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(['', 'Fault suite books:', line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n'));
}
