// `npm run loadtest -- --players 10000 --duration 60`: plays an MMO day at a chosen scale against a Realmstate
// server (one it starts, or --url) and reports throughput, latency per kind of request, errors by status and the
// server's memory over time. Open loop: actions are sent when they are due, whatever the server's pace, and each
// latency runs from the moment the action was due, so a server (or generator) that falls behind shows it.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDatabases, PG_ADMIN_URL } from '../test/helpers/backends.js';
import { deleteStream } from '../test/helpers/nats.js';
import { deleteKeys } from '../test/helpers/redis.js';
import { writeBenchConfig } from './bench-config.js';
import { percentile } from './harness.js';
import { RealmstateApiError, RealmstateClient } from '../src/client/index.js';
import { LoadClient } from './http-client.js';
import { startServerChild } from './server-child.js';
import { onlineShare, planAction, PlayerBook, REQUEST_KINDS, type MixOptions, type RequestKind } from './loadtest-mix.js';

const HELP = `npm run loadtest -- [options]

Plays an MMO day against a Realmstate server: players log in, fight, loot, move, finish matches (score
submissions) and look at profiles and leaderboards. Open loop: actions go out when they are due.

  --players N        players online (default 10000)
  --rate R           actions per second per player (default 0.1: one every 10 s)
  --duration S       seconds of measured load (default 60)
  --warmup S         seconds of load at the same rate before that, shown but not counted: JIT, pools and caches
                     warm up (default 10; 0 counts the cold start too)
  --scores F         share of actions that are score submissions (default 0.2)
  --reads F          share of actions that are reads: profile, top 10, a player's rank (default 0.3);
                     the rest are player events (POST /v1/players/{id}/events)
  --durability D     sync | batched, for player events (default sync)
  --curve C          flat (default): every player online all along; day: the online count follows a day
                     compressed into the run, 30% → 100% → 30%
  --interval S       seconds between progress lines (default 5)
  --connections N    keep-alive connections (default 256)
  --max-inflight N   requests in flight at most; an action due beyond it is not sent and counted as missed
                     (the server fell behind) (default 4096)
  --url URL          target a running server instead of starting one (needs --key; loopback only unless
                     --allow-remote)
  --key KEY          API key for --url; an admin key also lets the generator create its boards
  --board ID         board for score submissions (default lt-arena: desc, best, regions eu/na/asia/sa; created
                     when missing)
  --backends B       for the server it starts: env (default) reads DATABASE_URLS, REDIS_URL, NATS_URL… from the
                     environment like npm start, so embedded when none is set; local creates 4 fresh databases
                     on the machine's PostgreSQL (TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432),
                     a key prefix on REDIS_URL (default redis://127.0.0.1:6379) and a stream on NATS_URL
                     (default nats://127.0.0.1:4222), all removed afterwards
  --out FILE         JSON results (default bench/results/loadtest-<date>.json)
  --help

Exit code: 0 the server kept up without errors; 3 some requests failed (network or HTTP status ≥ 400; 404s on
reads are counted apart); 4 it fell behind or ran at its limit; 1 the generator itself failed; 2 bad options.`;

interface Options {
  players: number;
  rate: number;
  durationS: number;
  warmupS: number;
  scores: number;
  reads: number;
  durability: 'sync' | 'batched';
  curve: 'flat' | 'day';
  intervalS: number;
  connections: number;
  maxInflight: number;
  url?: string;
  key?: string;
  allowRemote: boolean;
  board: string;
  backends: 'env' | 'local';
  out?: string;
}

function fail(message: string): never {
  console.error(`loadtest: ${message}\n\n${HELP}`);
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      players: { type: 'string', default: '10000' }, rate: { type: 'string', default: '0.1' }, duration: { type: 'string', default: '60' }, warmup: { type: 'string', default: '10' },
      scores: { type: 'string', default: '0.2' }, reads: { type: 'string', default: '0.3' }, durability: { type: 'string', default: 'sync' },
      curve: { type: 'string', default: 'flat' }, interval: { type: 'string', default: '5' }, connections: { type: 'string', default: '256' },
      'max-inflight': { type: 'string', default: '4096' }, url: { type: 'string' }, key: { type: 'string' }, 'allow-remote': { type: 'boolean', default: false },
      board: { type: 'string', default: 'lt-arena' }, backends: { type: 'string', default: 'env' }, out: { type: 'string' }, help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const num = (name: string, raw: string | undefined, min: number, max: number, integer = false): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) fail(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${raw}`);
    return n;
  };
  const options: Options = {
    players: num('players', values.players, 1, 10_000_000, true),
    rate: num('rate', values.rate, 0.0001, 1000),
    durationS: num('duration', values.duration, 1, 86_400),
    warmupS: num('warmup', values.warmup, 0, 3600),
    scores: num('scores', values.scores, 0, 1),
    reads: num('reads', values.reads, 0, 1),
    durability: values.durability === 'batched' ? 'batched' : values.durability === 'sync' ? 'sync' : fail('--durability must be sync or batched'),
    curve: values.curve === 'day' ? 'day' : values.curve === 'flat' ? 'flat' : fail('--curve must be flat or day'),
    intervalS: num('interval', values.interval, 0.5, 3600),
    connections: num('connections', values.connections, 1, 10_000, true),
    maxInflight: num('max-inflight', values['max-inflight'], 1, 1_000_000, true),
    url: values.url,
    key: values.key,
    allowRemote: values['allow-remote'] ?? false,
    board: values.board ?? 'lt-arena',
    backends: values.backends === 'local' ? 'local' : values.backends === 'env' ? 'env' : fail('--backends must be env or local'),
    out: values.out,
  };
  if (options.scores + options.reads > 1) fail('--scores plus --reads must be at most 1');
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(options.board)) fail('--board must be 1–64 characters of A-Z a-z 0-9 _ - . :');
  if (options.url !== undefined) {
    if (!options.key) fail('--url needs --key');
    const host = new URL(options.url).hostname;
    const loopback = host === 'localhost' || host === '[::1]' || host === '::1' || /^127\./.test(host);
    if (!loopback && !options.allowRemote) fail(`--url ${options.url} is not on this machine; load a remote server only on purpose, with --allow-remote`);
  }
  return options;
}

// ---- the server under load ----

interface Target {
  url: string;
  key: string;
  /** The child's pid when the generator started the server (its RSS is read from /proc when /metrics is not there). */
  pid?: number;
  /** The backends line the server logged at start. */
  description: string;
  stop: () => Promise<void>;
}

async function startServer(options: Options, log: (m: string) => void): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'realmstate-loadtest-'));
  const key = `lt-game-${randomBytes(16).toString('hex')}`;
  const adminKey = `lt-admin-${randomBytes(16).toString('hex')}`;
  const undo: Array<() => Promise<unknown>> = [async () => rmSync(dir, { recursive: true, force: true })];
  const env: Record<string, string> = {
    REALMSTATE_DATA_DIR: join(dir, 'data'), REALMSTATE_API_KEY: key, REALMSTATE_ADMIN_KEY: adminKey, LOG_LEVEL: 'info',
    // Rate limits raised out of the way: one key sends everything. The boards: the arena and a board following kills.
    REALMSTATE_CONFIG: writeBenchConfig(dir, [
      ...(options.board === 'lt-arena' ? [{ id: 'lt-arena', order: 'desc' as const, operator: 'best' as const, reset: 'never' as const, regions: ['eu', 'na', 'asia', 'sa'] }] : []),
      { id: 'lt-kills', order: 'desc', operator: 'best', reset: 'never', stat: 'kills' },
    ]),
  };
  const runUndo = async () => {
    for (const step of undo.reverse()) await step().catch((err: unknown) => console.error(`loadtest: clean-up step failed: ${String(err)}`));
  };
  try {
    if (options.backends === 'local') {
      const dbs = await createDatabases(4);
      undo.push(() => dbs.drop());
      const tag = randomBytes(5).toString('hex');
      const prefix = `loadtest-${tag}:`;
      const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
      const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
      const stream = `LOADTEST_${tag.toUpperCase()}`;
      undo.push(() => deleteKeys(prefix), () => deleteStream(stream, natsUrl));
      Object.assign(env, {
        DATABASE_URLS: dbs.urls.join(','), REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, NATS_URL: natsUrl,
        REALMSTATE_NATS_STREAM: stream, REALMSTATE_NATS_SUBJECT_PREFIX: `loadtest_${tag}.events`,
      });
      log(`backends: 4 fresh databases on ${new URL(PG_ADMIN_URL).host}, Redis prefix ${prefix}, NATS stream ${stream} (removed afterwards)`);
    }
    const server = await startServerChild(env);
    undo.push(() => server.stop());
    return { url: server.url, key: adminKey, pid: server.pid, description: server.description, stop: runUndo };
  } catch (err) {
    await runUndo();
    throw err;
  }
}

/** Makes sure the board exists; returns its regions. Creating it needs an admin key. */
async function prepareBoard(client: RealmstateClient, board: string): Promise<string[] | null> {
  const found = (await client.listLeaderboards()).leaderboards.find((b) => b.board === board);
  if (found) return found.regions;
  const regions = ['eu', 'na', 'asia', 'sa'];
  try {
    await client.defineLeaderboard(board, { order: 'desc', operator: 'best', regions });
  } catch (err) {
    throw new Error(`board ${board} does not exist and could not be created (${err instanceof Error ? err.message : String(err)}); create it or pass an admin key`, { cause: err });
  }
  return regions;
}

/** How a failed request is counted: its HTTP status, or `network` when no answer came (a refused or reset connection, a timeout). */
function failureOf(err: unknown): { status: string; detail: string } {
  if (err instanceof RealmstateApiError) return { status: String(err.status), detail: JSON.stringify(err.body) };
  return { status: 'network', detail: err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err) };
}

// ---- measurements ----

interface ServerSample {
  rssBytes: number | null;
  heapUsedBytes: number | null;
  eventLoopLagP99Ms: number | null;
}

function metric(text: string, name: RegExp): number | null {
  const m = new RegExp(`^${name.source} ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

/** The server's memory from /metrics (prom-client's process metrics), or its RSS from /proc when we started it. */
async function sampleServer(target: Target): Promise<ServerSample> {
  let sample: ServerSample = { rssBytes: null, heapUsedBytes: null, eventLoopLagP99Ms: null };
  try {
    // Its own connection (the global fetch's), not one of the load's sockets: a busy server's backlog must not delay it.
    const text = await new RealmstateClient({ baseUrl: target.url, retries: 0, timeoutMs: 2000 }).metrics();
    const lag = metric(text, /realmstate_process_nodejs_eventloop_lag_p99_seconds/);
    sample = {
      rssBytes: metric(text, /realmstate_process_(?:process_)?resident_memory_bytes/),
      heapUsedBytes: metric(text, /realmstate_process_nodejs_heap_size_used_bytes/),
      eventLoopLagP99Ms: lag === null ? null : lag * 1000,
    };
  } catch {
    // A server too busy to answer /metrics in 2 s says enough; /proc still has its RSS.
  }
  if (sample.rssBytes === null && target.pid !== undefined) {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${target.pid}/status`, 'utf8'))?.[1];
      if (kb) sample.rssBytes = Number(kb) * 1024;
    } catch {
      // Not Linux, or the process is gone.
    }
  }
  return sample;
}

/** One progress line: the window since the previous one. */
interface Sample {
  /** Seconds since the measured run started (negative during the warm-up). */
  t: number;
  warmup: boolean;
  /** The window ran past the end of the run, while the last answers came in. */
  drain: boolean;
  online: number;
  targetPerSecond: number;
  sentPerSecond: number;
  okPerSecond: number;
  errors: number;
  missed: number;
  inflight: number;
  p50Ms: number;
  p99Ms: number;
  serverRssBytes: number | null;
  serverHeapUsedBytes: number | null;
  serverEventLoopLagP99Ms: number | null;
  generatorCpuPercent: number;
}

interface KindStats {
  latencies: number[];
  errors: Map<string, number>;
  /** Reads answered 404, counted apart from the errors (see `failed` below). */
  notFound: number;
}

export type Verdict = 'kept-up' | 'at-limit' | 'fell-behind' | 'errors';

/** The exit code of a run: anything but a clean run that kept up fails, so a script or CI sees it. */
export const VERDICT_EXIT: Readonly<Record<Verdict, number>> = { 'kept-up': 0, errors: 3, 'fell-behind': 4, 'at-limit': 4 };

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) : '-');
const mib = (b: number | null) => (b === null ? '?' : `${fmt(b / 2 ** 20)} MiB`);

function pad(cells: string[][]): string {
  const widths = cells[0]?.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length))) ?? [];
  return cells.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ')).join('\n');
}

async function main(): Promise<Verdict> {
  const options = parseOptions(process.argv.slice(2));
  const log = (m: string) => console.log(m);
  const target: Target = options.url
    ? { url: options.url.replace(/\/$/, ''), key: options.key as string, description: `a running server at ${options.url}`, stop: async () => {} }
    : (log('starting a Realmstate server…'), await startServer(options, log));
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    log('\ninterrupted: ending the run early (the summary and clean-up still happen)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A socket left idle while the server closes it (its keep-alive timeout) fails the request sent on it with
  // ECONNRESET: rotate through every socket (fifo) and drop any idle for 4 s, below the usual server timeouts.
  const sockets = new LoadClient(target.url, {}, options.connections, { scheduling: 'fifo', timeout: 4000 });
  // The typed client over those sockets. No retries: a 429 or 503 is counted as what it is, and the open loop never
  // sends more than was due. No timeout short of the run's: a slow answer is a latency, not an error.
  const client = new RealmstateClient({ baseUrl: target.url, apiKey: target.key, fetch: sockets.fetch, retries: 0, timeoutMs: 600_000 });
  try {
    const regions = await prepareBoard(client, options.board);
    log(`server: ${target.url}${target.description ? ` (${target.description})` : ''}`);
    const targetRate = options.players * options.rate;
    log(`load: ${fmt(options.players)} players × ${options.rate} actions/s = ${fmt(targetRate)} actions/s at full strength for ${options.durationS} s (${options.curve}); ` +
      `${Math.round(options.scores * 100)}% score submissions, ${Math.round(options.reads * 100)}% reads, the rest player events (${options.durability})`);
    const mix: MixOptions = { scores: options.scores, reads: options.reads, board: options.board, regions, durability: options.durability, playerPrefix: `lt-${randomBytes(3).toString('hex')}-` };
    const book = new PlayerBook(options.players);
    const kinds = new Map<RequestKind, KindStats>(REQUEST_KINDS.map((k) => [k, { latencies: [], errors: new Map(), notFound: 0 }]));
    const errorsByStatus = new Map<string, number>();
    const errorSamples = new Map<string, string>();
    let notFoundSample: string | undefined;
    const samples: Sample[] = [];
    let due = 0;
    let sent = 0;
    let missed = 0;
    let inflight = 0;
    let maxInflightSeen = 0;
    let window: number[] = [];
    let windowErrors = 0;
    let windowSent = 0;
    let windowMissed = 0;
    const random = Math.random;

    // t0: the pacer starts; measured: the warm-up ends and counting starts; the run ends `durationMs` later.
    const t0 = performance.now();
    const warmupMs = options.warmupS * 1000;
    const measured = t0 + warmupMs;
    const durationMs = options.durationS * 1000;
    let warmupRequests = 0;
    let warmupErrors = 0;
    const fire = (intended: number, online: number) => {
      const counted = intended >= measured;
      if (counted) due++;
      if (inflight >= options.maxInflight) {
        if (counted) missed++;
        windowMissed++;
        return;
      }
      const p = Math.floor(random() * online);
      const plan = planAction(p, book, mix, random);
      const stats = kinds.get(plan.kind) as KindStats;
      inflight++;
      if (counted && inflight > maxInflightSeen) maxInflightSeen = inflight;
      if (counted) sent++;
      else warmupRequests++;
      windowSent++;
      const failed = (status: string, detail: string) => {
        // The generator reads only players whose first append (or score) was acknowledged, but a read can race the
        // write that creates what it reads (another action of the same player): a 404 there is counted apart, not
        // as a server error.
        if (status === '404' && plan.kind.startsWith('read-')) {
          if (counted) stats.notFound++;
          notFoundSample ??= `${plan.method} ${plan.path}: ${detail.slice(0, 300)}`;
          return;
        }
        windowErrors++;
        if (!counted) {
          warmupErrors++;
          return;
        }
        stats.errors.set(status, (stats.errors.get(status) ?? 0) + 1);
        errorsByStatus.set(status, (errorsByStatus.get(status) ?? 0) + 1);
        if (!errorSamples.has(status)) errorSamples.set(status, `${plan.method} ${plan.path}: ${detail.slice(0, 300)}`);
      };
      plan.send(client).then(
        () => {
          const latency = performance.now() - intended;
          if (counted) stats.latencies.push(latency);
          window.push(latency);
          if (plan.player !== undefined && plan.kind === 'event') book.markCreated(plan.player);
          if (plan.player !== undefined && plan.kind === 'score') book.markScored(plan.player);
        },
        (err: unknown) => {
          const { status, detail } = failureOf(err);
          failed(status, detail);
        },
      ).finally(() => inflight--);
    };

    // The pacer: every few ms, the actions that fell due since the last tick go out, each timed from its due instant.
    let credit = 0;
    let last = t0;
    let online = options.players;
    const tick = () => {
      const now = Math.min(performance.now(), measured + durationMs);
      online = Math.max(1, Math.round(options.players * onlineShare(options.curve, (now - measured) / durationMs)));
      const dt = now - last;
      credit += (online * options.rate * dt) / 1000;
      const n = Math.floor(credit);
      credit -= n;
      for (let k = 1; k <= n; k++) fire(last + (dt * k) / n, online);
      last = now;
    };

    let cpu0 = process.cpuUsage();
    let tWindow = t0;
    const report = async () => {
      const now = performance.now();
      const seconds = (now - tWindow) / 1000;
      const cpu = process.cpuUsage(cpu0);
      cpu0 = process.cpuUsage();
      tWindow = now;
      // Take the window's figures before the await below: requests keep completing meanwhile.
      const lat = window.sort((a, b) => a - b);
      const counts = { sent: windowSent, errors: windowErrors, missed: windowMissed, inflight };
      window = [];
      windowErrors = 0;
      windowSent = 0;
      windowMissed = 0;
      const server = await sampleServer(target);
      const sample: Sample = {
        t: Math.round((now - measured) / 100) / 10, warmup: now < measured, drain: now > measured + durationMs + 100, online, targetPerSecond: online * options.rate, sentPerSecond: counts.sent / seconds, okPerSecond: lat.length / seconds,
        errors: counts.errors, missed: counts.missed, inflight: counts.inflight, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99),
        serverRssBytes: server.rssBytes, serverHeapUsedBytes: server.heapUsedBytes, serverEventLoopLagP99Ms: server.eventLoopLagP99Ms,
        generatorCpuPercent: (100 * (cpu.user + cpu.system)) / 1e6 / seconds,
      };
      samples.push(sample);
      log(
        `${sample.t.toFixed(0).padStart(5)} s${sample.warmup ? ' (warm-up)' : sample.drain ? ' (draining)' : ''}  online ${fmt(online)}  due ${fmt(sample.targetPerSecond)}/s  sent ${fmt(sample.sentPerSecond)}/s  ok ${fmt(sample.okPerSecond)}/s  ` +
        `err ${fmt(counts.errors)}  missed ${fmt(counts.missed)}  in flight ${fmt(counts.inflight)}  p50 ${ms(sample.p50Ms)} ms  p99 ${ms(sample.p99Ms)} ms  ` +
        `server RSS ${mib(server.rssBytes)}${server.heapUsedBytes !== null ? ` heap ${mib(server.heapUsedBytes)}` : ''}${server.eventLoopLagP99Ms !== null ? ` loop lag p99 ${ms(server.eventLoopLagP99Ms)} ms` : ''}  generator CPU ${sample.generatorCpuPercent.toFixed(0)}%`,
      );
    };

    // A game server keeps its connections open: open them all now, so the run does not start with a storm of connects
    // (which a busy server accepts slowly, and which would be measured as the first requests' latency).
    await Promise.all(Array.from({ length: options.connections }, () => client.health()));
    const startSample = await sampleServer(target);
    log(`server RSS before the load: ${mib(startSample.rssBytes)}${options.warmupS ? `; ${options.warmupS} s of warm-up first (not counted)` : ''}\n`);
    const pacer = setInterval(tick, 2);
    let reporting = Promise.resolve();
    const reporter = setInterval(() => {
      reporting = reporting.then(report);
    }, options.intervalS * 1000);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (stopping || performance.now() >= measured + durationMs) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    tick();
    const backlogAtEnd = inflight;
    clearInterval(pacer);
    clearInterval(reporter);
    await reporting;
    const elapsedS = Math.max(0.001, (Math.min(performance.now(), measured + durationMs) - measured) / 1000);
    // Bounded drain: what is still unanswered after 30 s is counted as unfinished.
    const drainUntil = performance.now() + 30_000;
    while (inflight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
    const unfinished = inflight;
    if (samples.length === 0 || performance.now() - tWindow > 500) await report();
    const endSample = await sampleServer(target);

    // ---- summary ----
    const all: number[] = [];
    const kindRows: Record<string, unknown> = {};
    const table = [['kind', 'requests', 'ok/s', 'p50 ms', 'p99 ms', 'p999 ms', 'max ms', 'errors']];
    for (const [kind, s] of kinds) {
      const lat = s.latencies.sort((a, b) => a - b);
      all.push(...lat);
      const errors = [...s.errors.values()].reduce((a, b) => a + b, 0);
      const row = { requests: lat.length + errors + s.notFound, ok: lat.length, notFound: s.notFound, okPerSecond: lat.length / elapsedS, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), p999Ms: percentile(lat, 99.9), maxMs: lat[lat.length - 1] ?? NaN, errors: Object.fromEntries(s.errors) };
      kindRows[kind] = row;
      table.push([kind, fmt(row.requests), fmt(row.okPerSecond), ms(row.p50Ms), ms(row.p99Ms), ms(row.p999Ms), ms(row.maxMs), fmt(errors)]);
    }
    all.sort((a, b) => a - b);
    const totalErrors = [...errorsByStatus.values()].reduce((a, b) => a + b, 0);
    table.push(['all', fmt(all.length + totalErrors), fmt(all.length / elapsedS), ms(percentile(all, 50)), ms(percentile(all, 99)), ms(percentile(all, 99.9)), ms(all[all.length - 1] ?? NaN), fmt(totalErrors)]);
    // Every reading counts for the maximum, the one taken before the load included: a server that had grown in an
    // earlier run may shrink under this one, and its maximum is never below where it started.
    const rss = [startSample.rssBytes, ...samples.map((s) => s.serverRssBytes), endSample.rssBytes].filter((v): v is number => typeof v === 'number');
    const notFound = [...kinds.values()].reduce((n, s) => n + s.notFound, 0);
    // Sending every action is not enough: a queue still standing at the end (more than a second of load) means the
    // server only matched the rate while carrying a backlog, i.e. it ran at its limit.
    const endRate = online * options.rate;
    // Failed requests come first: a run with errors never says the server kept up.
    const verdict: Verdict = totalErrors > 0 ? 'errors' : missed > 0 || unfinished > 0 || sent < 0.99 * due ? 'fell-behind' : backlogAtEnd > Math.max(50, endRate) ? 'at-limit' : 'kept-up';
    const keptUp = verdict === 'kept-up';
    log(`\n${pad(table)}`);
    log('latency runs from the instant each action was due (open loop): queueing in the generator or the server counts');
    if (errorsByStatus.size) {
      log('\nerrors by status:');
      for (const [status, n] of errorsByStatus) log(`  ${status.padEnd(8)} ${fmt(n).padStart(8)}  e.g. ${errorSamples.get(status)}`);
    } else log('\nerrors: none');
    if (notFound > 0) log(`not found (counted apart): ${fmt(notFound)} reads answered 404, e.g. ${notFoundSample}`);
    log(`\nserver RSS: before ${mib(startSample.rssBytes)}, max ${mib(rss.length ? Math.max(...rss) : null)}, after ${mib(endSample.rssBytes)}`);
    log(`pacing: ${fmt(sent)} of ${fmt(due)} due actions sent in ${elapsedS.toFixed(1)} s (${fmt(sent / elapsedS)}/s), ${fmt(missed)} missed at ${fmt(options.maxInflight)} in flight, ${fmt(unfinished)} unanswered 30 s after the end → ` +
      (verdict === 'kept-up'
        ? `the server kept up (largest backlog: ${fmt(maxInflightSeen)} requests in flight)`
        : verdict === 'errors'
          ? `THE RUN HAD ERRORS: ${fmt(totalErrors)} of ${fmt(sent)} requests failed (${[...errorsByStatus].map(([st, n]) => `${st} ${fmt(n)}`).join(', ')}); its figures do not show the server keeping up`
          : verdict === 'at-limit'
          ? `the server matched the rate only with a standing queue (${fmt(backlogAtEnd)} requests in flight at the end, ~${(backlogAtEnd / endRate).toFixed(1)} s of load): it is AT ITS LIMIT`
          : 'THE SERVER FELL BEHIND the requested rate'));
    const maxGenCpu = Math.max(0, ...samples.map((s) => s.generatorCpuPercent));
    if (maxGenCpu > 85) log(`note: the generator itself used up to ${maxGenCpu.toFixed(0)}% of a core; figures may be bounded by it, not by the server`);

    const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '');
    const out = options.out ?? fileURLToPath(new URL(`./results/loadtest-${stamp}.json`, import.meta.url));
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, `${JSON.stringify({
      at: new Date().toISOString(),
      command: `npm run loadtest -- ${process.argv.slice(2).join(' ')}`.trim(),
      options: { ...options, key: options.key ? '(given)' : undefined },
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      server: { url: target.url, startedByGenerator: !options.url, description: target.description },
      targetActionsPerSecond: targetRate,
      elapsedSeconds: elapsedS,
      pacing: { due, sent, missed, unfinished, verdict, keptUp, errors: totalErrors, notFound, maxInflight: options.maxInflight, largestBacklog: maxInflightSeen, backlogAtEnd },
      warmup: { seconds: options.warmupS, requests: warmupRequests, errors: warmupErrors },
      kinds: kindRows,
      all: { ok: all.length, okPerSecond: all.length / elapsedS, p50Ms: percentile(all, 50), p99Ms: percentile(all, 99), p999Ms: percentile(all, 99.9) },
      errorsByStatus: Object.fromEntries(errorsByStatus),
      errorSamples: Object.fromEntries(errorSamples),
      serverMemory: { beforeRssBytes: startSample.rssBytes, maxRssBytes: rss.length ? Math.max(...rss) : null, afterRssBytes: endSample.rssBytes },
      samples,
    }, null, 2)}\n`);
    log(`results: ${out}`);
    return verdict;
  } finally {
    sockets.close();
    if (!options.url) log('stopping the server…');
    await target.stop();
  }
}

main().then(
  (verdict) => process.exit(VERDICT_EXIT[verdict]),
  (err: unknown) => {
    console.error(`loadtest: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
