// Variant assignment is a documented pure function; these tests pin it down so every instance, every restart and
// every client reimplementation agrees.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assignVariant, experimentPoint, GameConfig, parseGameConfig } from '../../src/config/index.js';
import { deepMerge } from '../../src/config/deep-merge.js';

const xpBoost = { name: 'xp-boost', variants: [{ name: 'control', weight: 50 }, { name: 'boosted', weight: 50 }] };
const colors = { name: 'colors', variants: [{ name: 'red', weight: 1 }, { name: 'green', weight: 2 }, { name: 'blue', weight: 3 }] };

const dir = mkdtempSync(join(tmpdir(), 'realmstate-experiments-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('variant assignment', () => {
  it('matches answers computed independently (Python hashlib, README formula)', () => {
    // python3: h = sha256(f"{exp}\0{pid}".encode()).digest(); point = int.from_bytes(h[:4], "big") * total >> 32
    const known: Array<[string, number, string, number, string]> = [
      ['p1', 59, 'boosted', 3, 'blue'],
      ['p2', 48, 'control', 1, 'green'],
      ['p3', 37, 'control', 1, 'green'],
      ['p4', 2, 'control', 1, 'green'],
      ['p5', 88, 'boosted', 2, 'green'],
      ['aria', 65, 'boosted', 3, 'blue'],
      ['player:42', 44, 'control', 3, 'blue'],
      ['Ünï', 80, 'boosted', 0, 'red'],
    ];
    for (const [id, xpPoint, xpVariant, colorPoint, color] of known) {
      expect(experimentPoint('xp-boost', id, 100), id).toBe(xpPoint);
      expect(assignVariant(xpBoost, id), id).toBe(xpVariant);
      expect(experimentPoint('colors', id, 6), id).toBe(colorPoint);
      expect(assignVariant(colors, id), id).toBe(color);
    }
  });

  it("gives each variant its weight's share of 10,000 players, within 2 percentage points", () => {
    const cases = [
      { name: 'split-3', variants: [{ name: 'a', weight: 50 }, { name: 'b', weight: 30 }, { name: 'c', weight: 20 }] },
      { name: 'rare', variants: [{ name: 'control', weight: 95 }, { name: 'treatment', weight: 5 }] },
      { name: 'with-a-paused-variant', variants: [{ name: 'a', weight: 1 }, { name: 'paused', weight: 0 }, { name: 'b', weight: 3 }] },
    ];
    for (const experiment of cases) {
      const counts = new Map<string, number>();
      for (let i = 0; i < 10_000; i++) {
        const variant = assignVariant(experiment, `player-${i}`);
        counts.set(variant, (counts.get(variant) ?? 0) + 1);
      }
      const total = experiment.variants.reduce((s, v) => s + v.weight, 0);
      for (const v of experiment.variants) {
        const share = (counts.get(v.name) ?? 0) / 10_000;
        expect(Math.abs(share - v.weight / total), `${experiment.name}/${v.name}: ${share}`).toBeLessThanOrEqual(0.02);
      }
      expect(counts.has('paused')).toBe(false);
    }
  });

  it('assigns two experiments independently of each other', () => {
    const other = { name: 'other', variants: xpBoost.variants };
    const joint = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const key = `${assignVariant(xpBoost, `u${i}`)}/${assignVariant(other, `u${i}`)}`;
      joint.set(key, (joint.get(key) ?? 0) + 1);
    }
    expect(joint.size).toBe(4);
    for (const [key, n] of joint) expect(Math.abs(n / 10_000 - 0.25), key).toBeLessThanOrEqual(0.02);
  });

  it('is the same across restarts and instances', async () => {
    const file = join(dir, 'game.yaml');
    writeFileSync(file, `version: 1\nexperiments:\n  - { name: colors, variants: [{ name: red, weight: 1 }, { name: green, weight: 2 }, { name: blue, weight: 3 }] }\n`);
    const ids = Array.from({ length: 500 }, (_, i) => `id-${i}`);
    const first = await GameConfig.open({ file, watch: false });
    const before = ids.map((id) => first.forPlayer(id).experiments.colors);
    await first.close();
    const [second, third] = await Promise.all([GameConfig.open({ file, watch: false }), GameConfig.open({ file, watch: false })]);
    expect(ids.map((id) => second.forPlayer(id).experiments.colors)).toEqual(before);
    expect(ids.map((id) => third.forPlayer(id).experiments.colors)).toEqual(before);
    expect(ids.map((id) => assignVariant(colors, id))).toEqual(before);
    await Promise.all([second.close(), third.close()]);
  });
});

describe('per-player config', () => {
  it('merges objects, replaces other values, and applies experiments in declaration order', async () => {
    const file = join(dir, 'merge.yaml');
    writeFileSync(
      file,
      [
        'version: 4',
        'tuning: { xpPerKill: 10, drops: { common: 0.7, rare: 0.3 }, quests: [a, b], motd: hello }',
        'experiments:',
        '  - name: xp-boost',
        '    variants:',
        '      - { name: control, weight: 50 }',
        '      - { name: boosted, weight: 50, overrides: { tuning: { xpPerKill: 15, drops: { rare: 0.5 }, quests: [c] }, limits: { rateLimits: { burst: 9 } } } }',
        '  - name: colors',
        '    variants:',
        '      - { name: red, weight: 1, overrides: { tuning: { motd: red, xpPerKill: 99 } } }',
        '      - { name: green, weight: 2 }',
        '      - { name: blue, weight: 3, overrides: { tuning: { motd: { text: blue } } } }',
        '',
      ].join('\n'),
    );
    const config = await GameConfig.open({ file, watch: false });
    // From the known answers above: p2 control/green, p1 boosted/blue, Ünï boosted/red, p4 control/green.
    const p1 = config.forPlayer('p1');
    expect(p1.experiments).toEqual({ 'xp-boost': 'boosted', colors: 'blue' });
    expect(p1.config.tuning).toEqual({ xpPerKill: 15, drops: { common: 0.7, rare: 0.5 }, quests: ['c'], motd: { text: 'blue' } });
    expect(p1.config.limits.rateLimits).toEqual({ perKeyPerSecond: 50000, perPlayerPerSecond: 20, burst: 9 });
    expect(config.forPlayer('Ünï').config.tuning).toMatchObject({ xpPerKill: 99, motd: 'red', quests: ['c'] });
    const p2 = config.forPlayer('p2');
    expect(p2.experiments).toEqual({ 'xp-boost': 'control', colors: 'green' });
    expect(p2.config).toEqual(config.current.config);
    expect(p2).toMatchObject({ version: 4, hash: config.current.hash, loadedAt: config.current.loadedAt });
    // The live config itself is untouched and every view is frozen.
    expect(config.current.config.tuning).toMatchObject({ xpPerKill: 10, motd: 'hello' });
    expect(Object.isFrozen(p1.config.tuning)).toBe(true);
    expect(Object.isFrozen(config.current.config.limits.rateLimits)).toBe(true);
    await config.close();
  });

  it('deep merge keeps a key named __proto__ as data', () => {
    const merged = deepMerge({ a: { b: 1 } }, JSON.parse('{"__proto__": {"polluted": true}, "a": {"c": 2}}') as Record<string, unknown>);
    expect(Object.keys(merged)).toEqual(['a', '__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(merged.a).toEqual({ b: 1, c: 2 });
  });

  it('accepts an override that replaces a tuning object by a plain value', () => {
    const text = 'version: 1\ntuning: { a: { b: 1 } }\nexperiments:\n  - { name: e, variants: [{ name: x, weight: 1, overrides: { tuning: { a: 5 } } }] }\n';
    expect(parseGameConfig(text, 'f.yaml').experiments[0]?.variants[0]?.overrides).toEqual({ tuning: { a: 5 } });
  });
});
