// `realmstate shards [rebalance [--dry-run] | drain <id>]`: runs against the same databases while servers serve.
// A progress bar on a terminal, plain lines otherwise; Ctrl-C cancels the move once the slots in flight are finished
// or rolled back.
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { migrateCluster, type SqlCluster } from '../backends/postgres/index.js';
import type { Metrics } from '../metrics.js';
import { loadSlotMap, MissingShardError } from '../sharding/index.js';
import { ShardMover, type MoveStatus } from './shard-mover.js';

export const SHARDS_USAGE = `usage: realmstate shards                       the slot map: shards, their slots, the latest move
       realmstate shards rebalance [--dry-run]   even out the slots (±1), moving as few as possible
       realmstate shards drain <id>              move every slot off shard <id> (then remove its URL)`;

export interface ShardsCommandDeps {
  sql: SqlCluster;
  metrics: Metrics;
  log: Logger;
  out?: NodeJS.WriteStream;
}

export async function shardsCommand(args: string[], deps: ShardsCommandDeps): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { 'dry-run': { type: 'boolean' } }, allowPositionals: true });
  const out = deps.out ?? process.stdout;
  const [action, id] = positionals;
  // New databases in DATABASE_URLS get their shard id here, as a server start would give it.
  await migrateCluster(deps.sql);
  const mover = new ShardMover(deps.sql, deps.metrics, deps.log);
  if (action === undefined) {
    const status = await mover.status();
    const problem = await loadSlotMap(deps.sql).then(() => undefined, (err: unknown) => (err instanceof MissingShardError ? err.message : undefined));
    out.write(`epoch ${status.epoch}\n`);
    for (const s of status.shards) out.write(`  shard ${s.id}  ${String(s.slots).padStart(4)} slots  ${s.state.padEnd(4)}  ${s.label}\n`);
    out.write(status.move ? `latest move: ${describe(status.move)}\n` : 'no move yet\n');
    if (problem) out.write(`${problem}\n`);
    return problem ? 1 : 0;
  }
  if (action === 'rebalance' && values['dry-run']) {
    const moves = await mover.plan('rebalance');
    const pairs = new Map<string, number>();
    for (const m of moves) pairs.set(`shard ${m.from} → shard ${m.to}`, (pairs.get(`shard ${m.from} → shard ${m.to}`) ?? 0) + 1);
    out.write(`${moves.length} slots would move${moves.length ? ':' : ''}\n`);
    for (const [pair, n] of pairs) out.write(`  ${pair}: ${n} slots\n`);
    return 0;
  }
  let drainId: number | undefined;
  if (action === 'drain') {
    drainId = Number(id);
    if (id === undefined || !/^\d+$/.test(id)) throw new Error(`usage: realmstate shards drain <id> (a shard id, as \`realmstate shards\` lists them)`);
  } else if (action !== 'rebalance') {
    throw new Error(SHARDS_USAGE);
  }
  const progress = new Progress(out);
  const running = new ShardMover(deps.sql, deps.metrics, deps.log, { onProgress: (s) => progress.show(s) });
  const { move, done } = await running.start(action === 'drain' ? 'drain' : 'rebalance', drainId);
  progress.show(move);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    out.write('\ncancelling: finishing or rolling back the slots in flight…\n');
    void running.cancel();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const end = await done;
    progress.finish(end);
    return end.state === 'done' ? 0 : interrupted ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function describe(m: MoveStatus): string {
  return `${m.kind} ${m.state}, ${m.slotsDone}/${m.slotsTotal} slots, ${m.rowsCopied} rows copied, started ${m.startedAt}${m.finishedAt ? `, finished ${m.finishedAt}` : ''}${m.error ? ` (${m.error})` : ''}`;
}

/** A bar redrawn in place on a terminal; a line at most once a second (and at the end) otherwise. */
class Progress {
  private readonly started = Date.now();
  private lastLine = 0;

  constructor(private readonly out: NodeJS.WriteStream) {}

  private line(s: MoveStatus): string {
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000);
    const rate = s.rowsCopied / seconds;
    const slotRate = s.slotsDone / seconds;
    const eta = slotRate > 0 ? Math.ceil((s.slotsTotal - s.slotsDone) / slotRate) : undefined;
    return `${s.slotsDone}/${s.slotsTotal} slots, ${s.rowsCopied} rows copied, ${Math.round(rate)} rows/s, ETA ${eta === undefined ? '?' : `${eta} s`}`;
  }

  show(s: MoveStatus): void {
    if (this.out.isTTY) {
      const width = 30;
      const filled = s.slotsTotal === 0 ? width : Math.round((s.slotsDone / s.slotsTotal) * width);
      this.out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.line(s)}\u001b[K`);
      return;
    }
    if (Date.now() - this.lastLine < 1000 && s.state === 'running') return;
    this.lastLine = Date.now();
    this.out.write(`${s.kind}: ${this.line(s)}\n`);
  }

  finish(s: MoveStatus): void {
    if (this.out.isTTY) this.out.write('\n');
    this.out.write(`${describe(s)}\n`);
  }
}
