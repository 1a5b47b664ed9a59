// Hot reload against the real file system, the way editors and deploy tools change a file. Throughout every
// scenario a sampler reads `current` continuously: each config it ever sees must be one of the valid files.
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configHash, GameConfig, parseGameConfig, type GameConfigSnapshot } from '../../src/config/index.js';
import { Metrics } from '../../src/metrics.js';
import { waitFor } from '../helpers/wait.js';

const valid = (version: number, xp = version * 10) => `version: ${version}\ntuning:\n  xpPerKill: ${xp}\nleaderboards:\n  - { id: arena, order: desc, operator: best }\n`;

describe('game config hot reload', () => {
  let dir: string;
  let file: string;
  let config: GameConfig;
  let metrics: Metrics;
  /** Hashes of every valid file written, so the sampler can tell a valid live config from anything else. */
  let validHashes: Set<string>;
  let seen: Set<string>;
  let sampler: NodeJS.Timeout;

  const write = (text: string, at = file) => {
    validHashesAdd(text);
    writeFileSync(at, text);
  };
  const validHashesAdd = (text: string) => {
    try {
      validHashes.add(configHash(parseGameConfig(text, 'check')));
    } catch {
      // not a valid file: must never be seen live
    }
  };
  const waitVersion = (version: number) => waitFor(() => config.current.version === version, `version ${version}`);
  const waitError = (pattern: RegExp) => waitFor(() => pattern.test(config.status().lastError?.message ?? ''), `lastError ${pattern}`);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'realmstate-config-'));
    file = join(dir, 'game.yaml');
    validHashes = new Set();
    seen = new Set();
    metrics = new Metrics();
    write(valid(1));
    config = await GameConfig.open({ file, debounceMs: 20, metrics });
    sampler = setInterval(() => seen.add(config.current.hash), 1);
  });

  afterEach(async () => {
    clearInterval(sampler);
    await config.close();
    rmSync(dir, { recursive: true, force: true });
    // The invariant of the whole file: nothing but valid configs was ever live.
    for (const hash of seen) expect(validHashes.has(hash), `live hash ${hash} is not one of a valid file`).toBe(true);
  });

  it('picks up a write in place', async () => {
    expect(config.current.version).toBe(1);
    write(valid(2));
    await waitVersion(2);
    expect(config.current.config.tuning).toEqual({ xpPerKill: 20 });
    expect(config.status()).toMatchObject({ version: 2, reloads: 1, lastError: null });
  });

  it('picks up a temp file renamed over the original, again and again', async () => {
    for (const version of [2, 3, 4]) {
      const tmp = join(dir, `.game.yaml.${version}.tmp`);
      write(valid(version), tmp);
      renameSync(tmp, file);
      await waitVersion(version);
    }
    expect(config.status().reloads).toBe(3);
  });

  it('keeps the old config while a file is truncated, then takes the full write', async () => {
    truncateSync(file, 0);
    await waitError(/line 1: the file is empty/);
    expect(config.current.version).toBe(1);
    write(valid(2));
    await waitVersion(2);
    expect(config.status().lastError).toBeNull();
  });

  it('never makes a half-written file live', async () => {
    const full = valid(2);
    const cut = full.indexOf('order: desc') + 'order: de'.length;
    writeFileSync(file, full.slice(0, cut)); // the writer stalls in the middle of a line
    await waitError(/game\.yaml: line \d+/);
    expect(config.current.version).toBe(1);
    validHashesAdd(full);
    appendFileSync(file, full.slice(cut));
    await waitVersion(2);
    expect(config.status().lastError).toBeNull();
  });

  it('rejects invalid YAML with its line and keeps the old config', async () => {
    writeFileSync(file, 'version: 2\ntuning:\n  xpPerKill: 20\n  xpPerKill: 30\n');
    await waitError(/line 4: Map keys must be unique/);
    expect(config.current.version).toBe(1);
    expect(config.status().lastError?.at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('rejects a valid YAML file with an invalid value, naming the line and the field', async () => {
    writeFileSync(file, 'version: 2\nlimits:\n  rateLimits:\n    perPlayerPerSecond: 0\n');
    await waitError(/line 4, limits\.rateLimits\.perPlayerPerSecond: Too small/);
    expect(config.current.version).toBe(1);
    expect(config.current.config.limits.rateLimits.perPlayerPerSecond).toBe(20);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/realmstate_config_reloads_total\{result="invalid"\} 1/);
    // A good file clears the error.
    write(valid(3));
    await waitVersion(3);
    expect(config.status().lastError).toBeNull();
  });

  it('keeps the config when the file is deleted and loads it when it is back', async () => {
    unlinkSync(file);
    await waitError(/does not exist/);
    expect(config.current.version).toBe(1);
    write(valid(5));
    await waitVersion(5);
    expect(config.status()).toMatchObject({ version: 5, lastError: null });
  });

  it('refuses a lower version than the live one', async () => {
    write(valid(3));
    await waitVersion(3);
    write(valid(2));
    await waitError(/version: 2 is older than the live version 3/);
    expect(config.current.version).toBe(3);
    // The same version with new content is accepted.
    write(valid(3, 999));
    await waitFor(() => config.current.config.tuning.xpPerKill === 999, 'same version, new content');
    expect(config.status().lastError).toBeNull();
  });

  it('tells subscribers (next, prev); a throwing subscriber breaks neither the swap nor the others', async () => {
    const calls: Array<[number, number]> = [];
    config.subscribe(() => {
      throw new Error('subscriber bug');
    });
    config.subscribe(async () => {
      throw new Error('async subscriber bug');
    });
    const unsubscribe = config.subscribe((next: GameConfigSnapshot, prev: GameConfigSnapshot) => calls.push([prev.version, next.version]));
    write(valid(2));
    await waitVersion(2);
    await waitFor(() => calls.length === 1);
    unsubscribe();
    write(valid(3));
    await waitVersion(3);
    expect(calls).toEqual([[1, 2]]);
  });

  it('gives each accepted change a new hash and exports it as an info metric', async () => {
    const first = config.current.hash;
    write(valid(2));
    await waitVersion(2);
    expect(config.current.hash).not.toBe(first);
    expect(config.current.hash).toBe(configHash(parseGameConfig(valid(2), 'x')));
    const text = await metrics.registry.metrics();
    expect(text).toContain(`realmstate_config_info{hash="${config.current.hash}",version="2"} 1`);
    expect(text).not.toContain(`hash="${first}"`);
    expect(text).toMatch(/realmstate_config_reloads_total\{result="ok"\} 1/);
  });

  it('reload() re-reads at once and says why a file is refused', async () => {
    write(valid(2));
    expect(await config.reload()).toMatchObject({ version: 2, lastError: null });
    writeFileSync(file, 'version: 3\nexperiments:\n  - { name: e, variants: [{ name: a, weight: 0 }] }\n');
    await expect(config.reload()).rejects.toMatchObject({ code: 'rejected', message: expect.stringContaining('line 3, experiments[0].variants: the weights must not all be 0') });
    expect(config.current.version).toBe(2);
  });

  it('keeps the snapshot frozen', () => {
    const live = config.current;
    expect(Object.isFrozen(live)).toBe(true);
    expect(() => {
      (live.config.tuning as Record<string, unknown>).xpPerKill = 1;
    }).toThrow(TypeError);
  });
});

describe('game config start-up', () => {
  it('fails on an invalid file, naming the file, the line and the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'realmstate-config-'));
    const file = join(dir, 'game.yaml');
    writeFileSync(file, 'version: 1\nleaderboards:\n  - { id: arena, order: desc, operator: best }\n  - { id: speed, order: fastest, operator: best }\n');
    await expect(GameConfig.open({ file })).rejects.toThrow(`invalid game config ${file}: line 4, leaderboards[1].order`);
    await expect(GameConfig.open({ file: join(dir, 'missing.yaml') })).rejects.toThrow(/missing\.yaml: the file does not exist/);
    await expect(GameConfig.open({ file: join(dir, 'no-such-dir', 'game.yaml') })).rejects.toThrow(/game\.yaml: the file does not exist/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses the built-in config without a file', async () => {
    const config = await GameConfig.open();
    expect(config.current).toMatchObject({ version: 0, config: { leaderboards: [], experiments: [], limits: { rateLimits: { perKeyPerSecond: 50000, perPlayerPerSecond: 20, burst: 50 } } } });
    expect(await config.reload()).toMatchObject({ version: 0, reloads: 0, lastError: null });
    await config.close();
  });
});
