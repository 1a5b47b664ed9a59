// The `realmstate` command: serve | migrate | replay | leaderboard rebuild.
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { DeferredBus } from './backends/deferred-bus.js';
import { assignShardIds, migrateShard, loadMigrations } from './backends/postgres/index.js';
import { buildServer } from './http/server.js';
import { createLogger } from './log.js';
import { createRealm, openSql, type Realm } from './realm.js';
import { loadSettings, redact, SettingsError, type Settings } from './settings.js';
import { Metrics } from './metrics.js';
import { shardsCommand } from './resharding/shards-command.js';

const USAGE = `usage: realmstate <command>

  serve                      start the HTTP server (what npm start runs)
  migrate                    apply the schema migrations to every shard and exit
  replay <playerId> [--seq N]  print the player's state rebuilt from its event log (at seq N)
  leaderboard rebuild <board> [--season ID]
                             rebuild a board's season (default: the current one) from PostgreSQL
                             into Redis (with REDIS_URL; embedded: see the README)
  shards [rebalance [--dry-run] | drain <id>]
                             the slot map; even out the slots over the shards; empty a shard before removing it
  help, --help               print this help

In embedded mode (no DATABASE_URLS) migrate, replay and leaderboard rebuild open the embedded database
themselves: stop the server first, or use its routes (state-at, :rebuild) while it runs.
Settings come from the environment; see the README.`;

function settingsOrExit(): Settings {
  try {
    return loadSettings();
  } catch (err) {
    if (err instanceof SettingsError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

/** Progress of the one-shot commands, on stderr so stdout stays the result. */
function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function describeDatabase(settings: Settings): string {
  return settings.databaseUrls.length > 0
    ? `${settings.databaseUrls.length} PostgreSQL shards (${settings.databaseUrls.map(redact).join(', ')})`
    : `the embedded database in ${settings.dataDir} (${settings.shards} shards; PGlite takes a few seconds to open)`;
}

/** Fails at once, before anything is created, when the port is taken; undefined when it is free. */
function portProblem(host: string, port: number): Promise<string | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(listenProblem(host, port, err)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

function listenProblem(host: string, port: number, err: NodeJS.ErrnoException): string {
  const where = `${host}:${port}`;
  if (err.code === 'EADDRINUSE') return `cannot listen on ${where}: the port is already in use (another Realmstate server?); stop that process or set PORT to a free port`;
  if (err.code === 'EACCES') return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); set PORT to 1024 or above`;
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') return `cannot listen on ${where}: this machine has no address ${host}; set HOST`;
  return `cannot listen on ${where}: ${err.message}`;
}

async function serve(): Promise<void> {
  const settings = settingsOrExit();
  // Before the keys and the database are created: a second server on a taken port must leave nothing behind.
  const taken = await portProblem(settings.host, settings.port);
  if (taken) {
    console.error(`realmstate: ${taken}`);
    process.exit(1);
  }
  const log = createLogger(settings.logLevel);
  const realm = await openRealm(settings, log);
  if (realm.keys.generated.length > 0) {
    // Printed once, to the terminal, not to the log.
    process.stdout.write(
      `\nGenerated API keys (kept in ${realm.keys.file}):\n  game:  ${realm.keys.apiKey}\n  admin: ${realm.keys.adminKey}\n\n`,
    );
  }
  const app = await buildServer(realm);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: no new requests, flushing everything pending');
    await app.close();
    const flushed = await realm.close();
    log.info({ flushed }, flushed ? 'stopped cleanly' : 'stopped with unpersisted data');
    process.exit(flushed ? 0 : 1);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    // The outcome is logged by the config itself (new config live, or rejected with its reason).
    realm.config.reload().catch(() => {});
  });
  // A wrapper that dies without passing its signal on (npm, a shell killed with SIGKILL) would leave this server
  // orphaned, holding the port: when the parent goes away, stop as on SIGTERM.
  const parent = process.ppid;
  if (parent > 1) {
    setInterval(() => {
      if (process.ppid !== parent) void stop('parent process exited');
    }, 1000).unref();
  }
  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (err) {
    // The port was free a moment ago and was taken since: still one line.
    console.error(`realmstate: ${listenProblem(settings.host, settings.port, err as NodeJS.ErrnoException)}`);
    await realm.close();
    process.exit(1);
  }
  // So that the start-up line says "connected" when the stream is up (it says "connecting" otherwise).
  if (realm.bus instanceof DeferredBus) await Promise.race([realm.bus.whenReady().catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
  const address = app.server.address();
  const where = typeof address === 'object' && address ? `http://${settings.host}:${address.port}` : String(address);
  log.info({ address: where }, `Realmstate listening on ${where}; ${realm.describe()}`);
  log.info({ console: `${where}/console` }, `admin console: ${where}/console (paste the admin key)`);
}

/** Opens the realm, or explains what to do when the embedded database is held by a running server. */
async function openRealm(settings: Settings, log: ReturnType<typeof createLogger>, command?: string): Promise<Realm> {
  try {
    return await createRealm({ settings, logger: log, processMetrics: command === undefined });
  } catch (err) {
    throw explainInUse(err, command);
  }
}

function explainInUse(err: unknown, command: string | undefined): unknown {
  const message = err instanceof Error ? err.message : '';
  if (command === undefined || !/embedded database .* is in use by process/.test(message)) return err;
  const instead: Record<string, string> = {
    migrate: 'a running server has already migrated its schema at start',
    replay: 'while it runs, use GET /v1/players/{id}/state-at?seq=N',
    leaderboard: 'while it runs, use POST /v1/leaderboards/{board}:rebuild (admin key)',
  };
  return new Error(`${message.replace(/; stop it or .*$/, '')}: probably a running server. In embedded mode \`realmstate ${command}\` needs the database to itself; stop the server first (${instead[command] ?? 'or use its routes'}).`);
}

async function migrate(): Promise<void> {
  const settings = settingsOrExit();
  const started = Date.now();
  progress(`opening ${describeDatabase(settings)}…`);
  const sql = await openSql(settings).catch((err: unknown) => {
    throw explainInUse(err, 'migrate');
  });
  try {
    progress(`opened in ${seconds(started)}; migrating ${sql.shards.length} shards`);
    const migrations = loadMigrations();
    for (const shard of sql.shards) {
      const names = await migrateShard(shard, migrations);
      console.log(`shard ${shard.index}: ${names.length ? names.join(', ') : 'up to date'}`);
    }
    // Shard ids written once, and the slot map (the even split, epoch 1) where none is stored yet.
    await assignShardIds(sql);
    progress(`done in ${seconds(started)}`);
  } finally {
    await sql.close();
  }
}

/** `--seq` as a user types it: a whole number ≥ 1, or a clear refusal (not "must be between 1 and 3" for "abc"). */
function parseSeq(raw: string): number {
  if (!/^\d{1,16}$/.test(raw.trim()) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new Error(`--seq must be a whole number ≥ 1 (the seq of one of the player's events), not "${raw}"`);
  }
  return Number(raw);
}

async function replayCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { seq: { type: 'string' } }, allowPositionals: true });
  const playerId = positionals[0];
  if (!playerId) throw new Error('usage: realmstate replay <playerId> [--seq N]');
  const seqArg = values.seq === undefined ? undefined : parseSeq(values.seq);
  const settings = settingsOrExit();
  const started = Date.now();
  progress(`opening ${describeDatabase(settings)}…`);
  const realm = await openRealm(settings, createLogger('warn'), 'replay');
  try {
    progress(`opened in ${seconds(started)}; replaying ${playerId}'s event log`);
    let seq: number;
    if (seqArg !== undefined) {
      seq = seqArg;
    } else {
      const page = await realm.queries.get(playerId, 'strong');
      seq = page.state.seq;
    }
    console.log(JSON.stringify(await realm.queries.stateAt(playerId, seq), null, 2));
    progress(`done in ${seconds(started)}`);
  } finally {
    await realm.close();
  }
}

async function leaderboardCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { season: { type: 'string' } }, allowPositionals: true });
  const [action, board] = positionals;
  if (action !== 'rebuild' || !board) throw new Error('usage: realmstate leaderboard rebuild <board> [--season ID]');
  const settings = settingsOrExit();
  const started = Date.now();
  progress(`opening ${describeDatabase(settings)}…`);
  const realm = await openRealm(settings, createLogger('warn'), 'leaderboard');
  try {
    progress(`opened in ${seconds(started)}; rebuilding ${board} from its durable copy`);
    const report = await realm.leaderboards.rebuild(board, { season: values.season });
    console.log(JSON.stringify(report, null, 2));
    const entries = report.sets.reduce((n, s) => n + s.entries, 0);
    const where = settings.redisUrl
      ? `in Redis ${redact(settings.redisUrl)}${Object.keys(settings.redisRegionUrls).length ? ' and the regions of REDIS_REGION_URLS' : ''}`
      : 'in this command\'s in-process sorted sets only: without REDIS_URL a board lives in the server\'s memory, which refills it from the database at every start, so there was nothing to repair (this checked the durable copy)';
    progress(`rebuilt ${board} season ${report.season}: ${entries} entries from ${settings.databaseUrls.length > 0 ? 'PostgreSQL' : 'the embedded database'}, ${where}; done in ${seconds(started)}`);
  } finally {
    await realm.close();
  }
}

async function shardsCli(args: string[]): Promise<void> {
  const settings = settingsOrExit();
  const sql = await openSql(settings);
  let code: number;
  try {
    code = await shardsCommand(args, { sql, metrics: new Metrics(), log: createLogger(settings.logLevel === 'info' ? 'warn' : settings.logLevel) });
  } finally {
    await sql.close();
  }
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve();
    case 'migrate':
      return migrate();
    case 'replay':
      return replayCommand(rest);
    case 'leaderboard':
      return leaderboardCommand(rest);
    case 'shards':
      return shardsCli(rest);
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    case undefined:
      // No command is a question, not a request to start a server.
      console.log(USAGE);
      process.exit(2);
      break;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  console.error(`realmstate: ${e.message ?? String(err)}`);
  process.exit(1);
});
