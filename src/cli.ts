// The `realmstate` command: serve | migrate | replay | leaderboard rebuild.
import { parseArgs } from 'node:util';
import { migrateCluster } from './backends/postgres/index.js';
import { buildServer } from './http/server.js';
import { createLogger } from './log.js';
import { createRealm, openSql } from './realm.js';
import { loadSettings, SettingsError, type Settings } from './settings.js';
import { Metrics } from './metrics.js';
import { shardsCommand } from './resharding/shards-command.js';

const USAGE = `usage: realmstate <command>

  serve                      start the HTTP server (the default of npm start)
  migrate                    apply the schema migrations to every shard and exit
  replay <playerId> [--seq N]  print the player's state rebuilt from its event log (at seq N)
  leaderboard rebuild <board> [--season ID]
                             rebuild a board's season (default: the current one) in Redis from PostgreSQL
  shards [rebalance [--dry-run] | drain <id>]
                             the slot map; even out the slots over the shards; empty a shard before removing it

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

async function serve(): Promise<void> {
  const settings = settingsOrExit();
  const log = createLogger(settings.logLevel);
  const realm = await createRealm({ settings, logger: log });
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
  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (err) {
    log.fatal({ err }, 'cannot listen');
    await realm.close();
    process.exit(1);
  }
  const address = app.server.address();
  const where = typeof address === 'object' && address ? `http://${settings.host}:${address.port}` : String(address);
  log.info({ address: where }, `Realmstate listening on ${where}; ${realm.describe()}`);
}

async function migrate(): Promise<void> {
  const settings = settingsOrExit();
  const sql = await openSql(settings);
  try {
    const applied = await migrateCluster(sql);
    applied.forEach((names, shard) => console.log(`shard ${shard}: ${names.length ? names.join(', ') : 'up to date'}`));
  } finally {
    await sql.close();
  }
}

async function replayCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { seq: { type: 'string' } }, allowPositionals: true });
  const playerId = positionals[0];
  if (!playerId) throw new Error('usage: realmstate replay <playerId> [--seq N]');
  const settings = settingsOrExit();
  const realm = await createRealm({ settings, logger: createLogger('warn'), processMetrics: false });
  try {
    let seq: number;
    if (values.seq !== undefined) {
      seq = Number(values.seq);
    } else {
      const page = await realm.queries.get(playerId, 'strong');
      seq = page.state.seq;
    }
    console.log(JSON.stringify(await realm.queries.stateAt(playerId, seq), null, 2));
  } finally {
    await realm.close();
  }
}

async function leaderboardCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { season: { type: 'string' } }, allowPositionals: true });
  const [action, board] = positionals;
  if (action !== 'rebuild' || !board) throw new Error('usage: realmstate leaderboard rebuild <board> [--season ID]');
  const settings = settingsOrExit();
  const realm = await createRealm({ settings, logger: createLogger('warn'), processMetrics: false });
  try {
    console.log(JSON.stringify(await realm.leaderboards.rebuild(board, { season: values.season }), null, 2));
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
  const [command = 'serve', ...rest] = argv;
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
