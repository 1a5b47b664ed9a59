// The live game config: loaded from REALMSTATE_CONFIG (or built in), swapped in one reference assignment when a
// valid new file appears, kept when the new file is not valid, and kept in step with the other instances.
//
// Loads run one at a time (a queue), whatever started them: the watcher, an announcement from another instance,
// an admin reload or SIGHUP. Readers never wait for a load: `current` is a plain field holding a frozen snapshot.
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Broadcast } from '../backends/broadcast-port.js';
import { silentLogger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { configHash } from './config-hash.js';
import { deepFreeze, type DeepReadonly } from './deep-freeze.js';
import { applyVariants, assignVariants } from './experiments.js';
import { FileWatcher } from './file-watcher.js';
import { builtInGameConfig, type GameConfigData } from './game-config-schema.js';
import { GameConfigError, parseGameConfig } from './parse-game-config.js';

/** A validated config as readers see it: frozen all the way down. */
export type LiveGameConfig = DeepReadonly<GameConfigData>;

/** One accepted config. The same object until the next accepted change, so it can be compared by reference. */
export interface GameConfigSnapshot {
  /** The file's own `version` (0 for the built-in config). */
  readonly version: number;
  /** 16 hex digits of the SHA-256 of the validated config's canonical JSON: equal content, equal hash, on every instance. */
  readonly hash: string;
  /** When this instance accepted it (ISO 8601). */
  readonly loadedAt: string;
  readonly config: LiveGameConfig;
}

/** The config one player sees: the variants' overrides merged in. */
export interface PlayerGameConfig extends GameConfigSnapshot {
  /** Experiment name → the player's variant name. */
  readonly experiments: Readonly<Record<string, string>>;
}

export interface GameConfigStatus {
  version: number;
  hash: string;
  loadedAt: string;
  /** Reloads that ended with a valid file, since start-up. */
  reloads: number;
  /** The last rejected reload; cleared when a valid file is accepted. */
  lastError: { message: string; at: string } | null;
}

/**
 * Told after each accepted change, with the new and the previous snapshot. Runs synchronously after the swap;
 * a listener that throws (or returns a rejected promise) is logged and does not affect the swap or the other listeners.
 */
export type GameConfigListener = (next: GameConfigSnapshot, prev: GameConfigSnapshot) => unknown;

export interface GameConfigOptions {
  /** The YAML file (REALMSTATE_CONFIG). Default: none — the built-in config, nothing watched. */
  file?: string;
  /** Watch the file and reload it when it changes. Default true. */
  watch?: boolean;
  /** Quiet time after the file's last change before it is read. Default 50 ms. */
  debounceMs?: number;
  /** Where accepted changes are announced and other instances' announcements heard. Closed with the service. Default: none. */
  broadcast?: Broadcast;
  /** Default: silent. */
  log?: Logger;
  /** Where the reload counters and the info gauge go. Default: none. */
  metrics?: Metrics;
}

export const DEFAULT_GAME_CONFIG_OPTIONS: Readonly<Required<Pick<GameConfigOptions, 'watch' | 'debounceMs'>>> = Object.freeze({
  watch: true,
  debounceMs: 50,
});

type Trigger = 'watch' | 'announce' | 'reload';
type LoadResult = { kind: 'accepted' | 'skipped' } | { kind: 'rejected'; error: GameConfigError };

const announcementSchema = z.object({ version: z.number().int(), hash: z.string().max(64), instance: z.string().max(64) });

/** What the file looked like at the last attempt: a digest of its bytes, or MISSING. */
const MISSING = 'missing';
/** Merged per-player configs kept per live snapshot; beyond this many variant combinations they are computed per call. */
const MAX_CACHED_COMBINATIONS = 4096;

export class GameConfig {
  /** Loads the file (throws GameConfigError, naming line and field, when it is not valid) and starts watching it. */
  static async open(options: GameConfigOptions = {}): Promise<GameConfig> {
    const service = new GameConfig(options);
    try {
      await service.start();
    } catch (err) {
      await service.close();
      throw err;
    }
    return service;
  }

  readonly file: string | undefined;
  private live: GameConfigSnapshot;
  private readonly listeners = new Set<GameConfigListener>();
  private readonly log: Logger;
  private readonly instance = randomUUID();
  private watcher: FileWatcher | undefined;
  private queue: Promise<void> = Promise.resolve();
  private lastFile: string | undefined;
  private reloads = 0;
  private lastError: GameConfigStatus['lastError'] = null;
  private closed = false;
  private playerCache: { for: GameConfigSnapshot; merged: Map<string, LiveGameConfig> } | undefined;

  private constructor(private readonly options: GameConfigOptions) {
    this.file = options.file;
    this.log = options.log ?? silentLogger;
    this.live = snapshot(builtInGameConfig());
  }

  /** The live config. A field read: no lock, no I/O. */
  get current(): GameConfigSnapshot {
    return this.live;
  }

  /** Calls `listener(next, prev)` after each accepted change (not for the config live now). Returns the unsubscribe function. */
  subscribe(listener: GameConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): GameConfigStatus {
    const { version, hash, loadedAt } = this.live;
    return { version, hash, loadedAt, reloads: this.reloads, lastError: this.lastError };
  }

  /** The live config with the player's experiment variants merged in (see experiments.ts for the assignment). */
  forPlayer(playerId: string): PlayerGameConfig {
    const live = this.live;
    const variants = assignVariants(live.config, playerId);
    const experiments = Object.freeze(Object.fromEntries(variants.map((v) => [v.experiment.name, v.name])));
    if (this.playerCache?.for !== live) this.playerCache = { for: live, merged: new Map() };
    const key = variants.map((v) => v.index).join(',');
    let config = this.playerCache.merged.get(key);
    if (!config) {
      config = deepFreeze(applyVariants(live.config, variants));
      if (this.playerCache.merged.size < MAX_CACHED_COMBINATIONS) this.playerCache.merged.set(key, config);
    }
    return Object.freeze({ version: live.version, hash: live.hash, loadedAt: live.loadedAt, config, experiments });
  }

  /**
   * Re-reads the file now (admin reload, SIGHUP) and announces the result to the other instances.
   * Resolves with the status; rejects with GameConfigError (422 `rejected`) when the file is not accepted, the old config staying live.
   * Without a file there is nothing to read: resolves with the status.
   */
  async reload(): Promise<GameConfigStatus> {
    if (this.file === undefined) return this.status();
    const result = await this.enqueue('reload');
    if (result.kind === 'rejected') throw result.error;
    return this.status();
  }

  /** Stops watching and listening; the last config stays readable. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    await this.queue;
    await this.options.broadcast?.close().catch((err: unknown) => this.log.warn({ err }, 'game config: closing the broadcast failed'));
  }

  private async start(): Promise<void> {
    const file = this.file;
    if (file !== undefined) {
      const text = await readConfigFile(file);
      const data = parseGameConfig(text, file);
      this.lastFile = digest(text);
      this.live = snapshot(data);
      if (this.options.watch ?? DEFAULT_GAME_CONFIG_OPTIONS.watch) {
        this.watcher = new FileWatcher(file, () => void this.enqueue('watch'), {
          debounceMs: this.options.debounceMs ?? DEFAULT_GAME_CONFIG_OPTIONS.debounceMs,
          onError: (err) => this.log.error({ err, file }, 'game config: watching stopped; SIGHUP or POST /v1/config/reload still reload'),
        });
        // A change between the first read and the start of the watch would otherwise go unnoticed (same bytes: no-op).
        void this.enqueue('watch');
      }
    }
    // Both results exist from the start, so a dashboard sees 0 rather than no series.
    this.options.metrics?.configReloads.labels('ok').inc(0);
    this.options.metrics?.configReloads.labels('invalid').inc(0);
    this.exportInfo();
    if (this.options.broadcast) await this.options.broadcast.subscribe((message) => this.hear(message));
  }

  private enqueue(trigger: Trigger): Promise<LoadResult> {
    const run = this.queue.then(() => this.load(trigger));
    this.queue = run.then(
      () => {},
      (err: unknown) => this.log.error({ err }, 'game config: load failed unexpectedly'),
    );
    return run;
  }

  private async load(trigger: Trigger): Promise<LoadResult> {
    const file = this.file;
    if (file === undefined || this.closed) return { kind: 'skipped' };
    let text: string;
    try {
      text = await readConfigFile(file);
    } catch (err) {
      // The same absence is reported once, not on every event of the directory.
      if (this.lastFile === MISSING && trigger !== 'reload') return { kind: 'skipped' };
      this.lastFile = MISSING;
      return this.reject(err as GameConfigError);
    }
    const fileDigest = digest(text);
    // The watcher fires on chmod, touch and on the temp file's own events; the same bytes give the same verdict.
    if (fileDigest === this.lastFile && trigger !== 'reload') return { kind: 'skipped' };
    this.lastFile = fileDigest;

    let data: GameConfigData;
    try {
      data = parseGameConfig(text, file);
    } catch (err) {
      if (err instanceof GameConfigError) return this.reject(err);
      throw err;
    }
    const prev = this.live;
    if (data.version < prev.version) {
      return this.reject(
        new GameConfigError(file, [
          { field: 'version', message: `${data.version} is older than the live version ${prev.version}; versions only move forward (to roll back, give the old content a higher version)` },
        ]),
      );
    }

    this.reloads += 1;
    this.lastError = null;
    this.options.metrics?.configReloads.labels('ok').inc();
    const hash = configHash(data);
    if (hash !== prev.hash) {
      const next = snapshot(data, hash);
      this.live = next;
      this.exportInfo();
      this.log.info({ file, version: next.version, hash: next.hash, prevVersion: prev.version, prevHash: prev.hash, trigger }, 'game config: new config live');
      this.notify(next, prev);
    }
    // Announced even when this instance already had it: an admin reload means "everyone, look again".
    if (trigger !== 'announce') void this.announce();
    return { kind: 'accepted' };
  }

  private reject(error: GameConfigError): LoadResult {
    this.lastError = Object.freeze({ message: error.message, at: new Date().toISOString() });
    this.options.metrics?.configReloads.labels('invalid').inc();
    this.log.warn({ file: this.file, problems: error.problems, liveVersion: this.live.version, liveHash: this.live.hash }, `game config rejected, the live one stays: ${error.message}`);
    return { kind: 'rejected', error };
  }

  private notify(next: GameConfigSnapshot, prev: GameConfigSnapshot): void {
    for (const listener of [...this.listeners]) {
      try {
        const result = listener(next, prev);
        if (result instanceof Promise) result.catch((err: unknown) => this.log.error({ err }, 'game config: a subscriber failed'));
      } catch (err) {
        this.log.error({ err }, 'game config: a subscriber failed');
      }
    }
  }

  private async announce(): Promise<void> {
    const broadcast = this.options.broadcast;
    if (!broadcast || this.closed) return;
    const { version, hash } = this.live;
    try {
      await broadcast.publish(JSON.stringify({ version, hash, instance: this.instance }));
    } catch (err) {
      // Other instances still see their own file change; the announcement only helps those whose watcher cannot.
      this.log.warn({ err, version, hash }, 'game config: could not announce the new config to other instances');
    }
  }

  private hear(message: string): void {
    if (this.closed) return;
    let parsed: z.output<typeof announcementSchema>;
    try {
      parsed = announcementSchema.parse(JSON.parse(message));
    } catch {
      this.log.warn({ message: message.slice(0, 200) }, 'game config: ignored a malformed announcement');
      return;
    }
    if (parsed.instance === this.instance || parsed.hash === this.live.hash) return;
    // The announcement is only a hint: this instance trusts its own file, never the message.
    this.log.debug({ version: parsed.version, hash: parsed.hash }, 'game config: another instance accepted a new config; re-reading the file');
    void this.enqueue('announce');
  }

  private exportInfo(): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    metrics.configInfo.reset();
    metrics.configInfo.labels(this.live.hash, String(this.live.version)).set(1);
  }
}

function snapshot(data: GameConfigData, hash = configHash(data)): GameConfigSnapshot {
  return Object.freeze({ version: data.version, hash, loadedAt: new Date().toISOString(), config: deepFreeze(data) });
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function readConfigFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'the file does not exist (deleted or not yet written)' : `cannot read the file: ${(err as Error).message}`;
    throw new GameConfigError(file, [{ message }]);
  }
}
