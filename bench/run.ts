// `npm run bench [-- --quick] [scenario …]`: runs the scenarios, prints one table, and writes latest.json and
// <date>.md with the machine the figures came from: in bench/results/ for a full run, else a folder of its own.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { advantage, type BenchRow, type Scenario } from './harness.js';
import { resultsDir } from './results-dir.js';
import { SCENARIOS } from './scenarios/index.js';

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

function machine(): Record<string, string | number> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: version('psql', ['--version']),
    redis: version('redis-server', ['--version']),
    nats: version('nats-server', ['--version']),
  };
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US');
  if (abs >= 10) return n.toFixed(1);
  if (abs >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

function table(rows: BenchRow[]): string[][] {
  return rows.map((r) => [
    r.scenario,
    r.metric,
    `${fmt(r.ours)} ${r.unit}`,
    // A figure reported on its own (no baseline to compare with) shows dashes, not NaN.
    Number.isNaN(r.baseline) ? '—' : `${fmt(r.baseline)} ${r.unit} (${r.baselineName})`,
    Number.isNaN(r.baseline) ? '—' : `${fmt(advantage(r))}×`,
    r.target ? `${r.target} ${r.met === undefined ? '' : r.met ? '✓' : '✗ missed'}`.trim() : '',
  ]);
}

const HEAD = ['scenario', 'metric', 'Realmstate', 'baseline', 'advantage', 'target'];

function printTable(rows: BenchRow[]): void {
  const cells = [HEAD, ...table(rows)];
  const widths = HEAD.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  for (const [i, r] of cells.entries()) {
    console.log(r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

function markdown(rows: BenchRow[], info: Record<string, string | number>, command: string): string {
  const lines = [
    `# Benchmark results, ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${info.cpus} cores (${info.cpuModel}), ${info.memoryGiB} GiB, ${info.os}; Node ${info.node}; ${info.postgres}; ${info.redis}; ${info.nats}.`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...table(rows).map((r) => `| ${r.join(' | ')} |`),
    '',
    'Advantage above 1× means Realmstate is ahead of the baseline on that metric.',
  ];
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.scenario} / ${r.metric}: ${r.note}`);
  if (notes.length) lines.push('', 'Notes:', ...notes);
  return `${lines.join('\n')}\n`;
}

const USAGE = `usage: npm run bench -- [--quick] [scenario …]

  (no scenario)   run every scenario; writes bench/results/latest.json and bench/results/<date>.md
  scenario …      run only these (names from --list); writes bench/results/partial/, never the full run's files
  --quick         every scenario (or the chosen ones) small, in under two minutes; writes bench/results/quick/
  --list          list the scenarios and exit
  --help          print this help`;

function parseOptions(): { values: { quick?: boolean; list?: boolean; help?: boolean }; positionals: string[] } {
  try {
    return parseArgs({ options: { quick: { type: 'boolean', default: false }, list: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, allowPositionals: true });
  } catch (err) {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseOptions();
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.list) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(24)} ${s.title}`);
    return;
  }
  const unknown = positionals.filter((p) => !SCENARIOS.some((s) => s.name === p));
  if (unknown.length) {
    console.error(`bench: unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')} (npm run bench -- --list)`);
    process.exit(2);
  }
  const chosen: Scenario[] = positionals.length ? SCENARIOS.filter((s) => positionals.includes(s.name)) : SCENARIOS;
  const rows: BenchRow[] = [];
  const started = Date.now();
  for (const scenario of chosen) {
    const t0 = Date.now();
    process.stderr.write(`\n▶ ${scenario.name}: ${scenario.title}${values.quick ? ' (quick)' : ''}\n`);
    const progress = (m: string) => process.stderr.write(`  ${scenario.name}: ${m}\n`);
    rows.push(...(await scenario.run({ quick: values.quick ?? false, progress })));
    process.stderr.write(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  console.log('');
  printTable(rows);
  console.log(`\n${rows.length} rows in ${((Date.now() - started) / 1000).toFixed(1)} s. Advantage > 1× means Realmstate is ahead.`);
  const info = machine();
  const args = [...(values.quick ? ['--quick'] : []), ...positionals];
  const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
  // Quick runs (CI) and runs of chosen scenarios go to folders of their own: only a full run replaces its figures.
  const relative = resultsDir({ quick: values.quick ?? false, chosen: positionals });
  const dir = new URL(relative, import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('latest.json', dir), `${JSON.stringify({ at: new Date().toISOString(), command, quick: values.quick, machine: info, rows }, null, 2)}\n`);
  const md = new URL(`${new Date().toISOString().slice(0, 10)}.md`, dir);
  writeFileSync(md, markdown(rows, info, command));
  const rel = `bench/${relative.replace(/^\.\//, '').replace(/\/$/, '')}`;
  console.log(`Results: ${rel}/latest.json and ${rel}/${md.pathname.split('/').pop()}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
