// The game config file format: what validates, what does not, and that every problem names its line and field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtInGameConfig, configHash, DEFAULT_LIMITS, GameConfigError, parseGameConfig } from '../../src/config/index.js';

const EXAMPLE = new URL('../../examples/game-config.yaml', import.meta.url);

function problemsOf(text: string): GameConfigError {
  try {
    parseGameConfig(text, '/etc/game.yaml');
  } catch (err) {
    if (err instanceof GameConfigError) return err;
    throw err;
  }
  throw new Error(`expected the config to be rejected:\n${text}`);
}

describe('game config file', () => {
  it('accepts the example file of the README', () => {
    const config = parseGameConfig(readFileSync(EXAMPLE, 'utf8'), 'examples/game-config.yaml');
    expect(config.version).toBe(7);
    expect(config.leaderboards.map((b) => b.id)).toEqual(['arena', 'speedrun', 'total-xp']);
    expect(config.leaderboards[1]).toEqual({ id: 'speedrun', order: 'asc', operator: 'best', reset: 'never' });
    expect(config.experiments.map((e) => e.name)).toEqual(['xp-boost', 'loot-table']);
    expect(config.limits).toEqual({ rateLimits: { perKeyPerSecond: 50000, perPlayerPerSecond: 20, burst: 50 }, scores: { maxPerSubmission: 1_000_000 } });
  });

  it('fills every omitted field from the defaults, field by field', () => {
    const config = parseGameConfig('version: 3\nlimits:\n  rateLimits: { burst: 5 }\n', 'f.yaml');
    expect(config).toEqual({
      version: 3,
      leaderboards: [],
      tuning: {},
      experiments: [],
      limits: { rateLimits: { perKeyPerSecond: DEFAULT_LIMITS.rateLimits.perKeyPerSecond, perPlayerPerSecond: DEFAULT_LIMITS.rateLimits.perPlayerPerSecond, burst: 5 }, scores: {} },
      anticheat: { rules: [] },
      economy: { trades: 'enabled' },
    });
    expect(builtInGameConfig()).toEqual({ version: 0, leaderboards: [], tuning: {}, experiments: [], limits: { rateLimits: { perKeyPerSecond: 50000, perPlayerPerSecond: 20, burst: 50 }, scores: {} }, anticheat: { rules: [] }, economy: { trades: 'enabled' } });
  });

  it('names the file, the line and the field of a bad value', () => {
    const err = problemsOf('version: 7\ntuning:\n  xp: 1\nlimits:\n  rateLimits:\n    perKeyPerSecond: 10\n    burst: -1\n');
    expect(err.problems).toEqual([{ line: 7, field: 'limits.rateLimits.burst', message: expect.stringContaining('>=0') }]);
    expect(err.message).toContain('/etc/game.yaml');
    expect(err.message).toContain('line 7, limits.rateLimits.burst');
    expect(err.code).toBe('rejected');
  });

  it('places problems inside lists, unknown fields and missing fields', () => {
    const list = problemsOf('version: 7\nleaderboards:\n  - { id: a, order: desc, operator: best }\n  - { id: b, order: up, operator: best }\n');
    expect(list.problems[0]).toMatchObject({ line: 4, field: 'leaderboards[1].order' });

    const unknown = problemsOf('version: 7\ntuning: {}\nlimitz:\n  x: 1\n');
    expect(unknown.problems).toEqual([{ line: 3, field: 'limitz', message: 'unknown field' }]);

    const missing = problemsOf('# no version\ntuning:\n  xp: 1\n');
    expect(missing.problems).toEqual([{ line: 2, field: 'version', message: 'required' }]);

    const missingInList = problemsOf('version: 1\nleaderboards:\n  - id: a\n    order: desc\n');
    expect(missingInList.problems).toEqual([{ line: 3, field: 'leaderboards[0].operator', message: 'required' }]);
  });

  it('gives the line of a YAML syntax error, duplicate keys included', () => {
    expect(problemsOf('version: 7\ntuning: { a: 1\nlimits: {}\n').message).toMatch(/line [34]/);
    const dup = problemsOf('version: 7\ntuning:\n  a: 1\n  a: 2\n');
    expect(dup.problems[0]).toMatchObject({ line: 4, message: expect.stringContaining('unique') });
  });

  it('rejects an empty file, a comment-only file and a list', () => {
    expect(problemsOf('').problems[0]?.message).toBe('the file is empty');
    expect(problemsOf('  \n').problems[0]?.message).toBe('the file is empty');
    expect(problemsOf('# nothing\n').problems[0]?.message).toBe('the file holds no settings');
    expect(problemsOf('- 1\n').problems[0]).toMatchObject({ line: 1, field: '(top level)' });
  });

  it('rejects duplicate board ids, experiment names and variant names', () => {
    const boards = problemsOf('version: 1\nleaderboards:\n  - { id: a, order: desc, operator: best }\n  - { id: a, order: asc, operator: set }\n');
    expect(boards.problems).toEqual([{ line: 4, field: 'leaderboards[1].id', message: 'duplicate board id "a"' }]);
    const experiments = problemsOf('version: 1\nexperiments:\n  - { name: e, variants: [{ name: a, weight: 1 }] }\n  - { name: e, variants: [{ name: a, weight: 1 }] }\n');
    expect(experiments.problems[0]).toMatchObject({ line: 4, field: 'experiments[1].name' });
    const variants = problemsOf('version: 1\nexperiments:\n  - name: e\n    variants:\n      - { name: a, weight: 1 }\n      - { name: a, weight: 2 }\n');
    expect(variants.problems[0]).toMatchObject({ line: 6, field: 'experiments[0].variants[1].name' });
  });

  it('checks experiment weights: integers ≥ 0 that do not all add up to 0', () => {
    expect(problemsOf('version: 1\nexperiments:\n  - name: e\n    variants:\n      - { name: a, weight: 0 }\n').problems[0]).toMatchObject({
      field: 'experiments[0].variants',
      message: 'the weights must not all be 0',
    });
    expect(problemsOf('version: 1\nexperiments:\n  - name: e\n    variants:\n      - { name: a, weight: 1.5 }\n').problems[0]).toMatchObject({ line: 5, field: 'experiments[0].variants[0].weight' });
    expect(problemsOf('version: 1\nexperiments:\n  - name: e\n    variants:\n      - { name: a, weight: -1 }\n').problems[0]).toMatchObject({ line: 5, field: 'experiments[0].variants[0].weight' });
  });

  it('rejects an override that would make a variant config invalid, at the override line', () => {
    const text = ['version: 1', 'experiments:', '  - name: e', '    variants:', '      - name: a', '        weight: 1', '        overrides:', '          limits:', '            rateLimits: { burst: -3 }', ''].join('\n');
    expect(problemsOf(text).problems).toEqual([{ line: 9, field: 'experiments[0].variants[0].overrides.limits.rateLimits.burst', message: expect.stringContaining('>=0') }]);
    // Only tuning and limits may vary per player: boards and versions are the same for everyone.
    const boards = 'version: 1\nexperiments:\n  - name: e\n    variants:\n      - { name: a, weight: 1, overrides: { version: 9 } }\n';
    expect(problemsOf(boards).problems[0]).toMatchObject({ line: 5, field: 'experiments[0].variants[0].overrides.version', message: 'unknown field' });
  });

  it('rejects values JSON cannot carry', () => {
    expect(problemsOf('version: 1\ntuning:\n  x: .inf\n').problems[0]).toMatchObject({ line: 3, field: 'tuning.x' });
  });

  it('hashes the content, not the formatting', () => {
    const a = parseGameConfig('version: 2\ntuning: { a: 1, b: [1, 2] }\n', 'a.yaml');
    const b = parseGameConfig('# same thing\ntuning:\n  b:\n    - 1\n    - 2\n  a: 1\nversion: 2\n', 'b.yaml');
    const c = parseGameConfig('version: 2\ntuning: { a: 1, b: [2, 1] }\n', 'c.yaml');
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).not.toBe(configHash(c));
    expect(configHash(a)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('README "Game config"', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Game config'));

  it('shows a file that validates, with the documented defaults', () => {
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBeDefined();
    const config = parseGameConfig(block as string, 'README.md');
    const documented = parseGameConfig('version: 1\n', 'defaults');
    expect(config.limits.rateLimits).toEqual(documented.limits.rateLimits);
    expect(config.limits.rateLimits).toEqual(DEFAULT_LIMITS.rateLimits);
  });

  it('shows the start-up error exactly as it is printed', () => {
    const shown = /`(invalid game config \/etc\/game\.yaml: [^`]+)`/.exec(section)?.[1];
    expect(shown).toBeDefined();
    const text = 'version: 1\ntuning: {}\nleaderboards: []\nlimits:\n  scores:\n    maxPerSubmission: 0\n';
    expect(() => parseGameConfig(text, '/etc/game.yaml')).toThrow(shown as string);
  });
});

describe('anti-cheat rules in the game config', () => {
  it("accepts the README's example", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Anti-cheat')))?.[1] ?? '';
    expect(parseGameConfig(example, 'README.md').anticheat.rules.map((r) => r.name)).toEqual(['xp-rate', 'arena-cap', 'arena-floor', 'loot-flood', 'arena-jump', 'arena-high', 'arena-outlier']);
  });

  it('accepts every rule kind and refuses quarantine on write rules, unknown event types and duplicate names', () => {
    const ok = parseGameConfig(`version: 1
anticheat:
  rules:
    - { name: xp-rate, kind: statRate, stat: xp, maxIncrease: 5000, perSeconds: 60, action: reject }
    - { name: loot-flood, kind: eventRate, type: item.grant, max: 100, perSeconds: 60, action: flag }
    - { name: arena-cap, kind: scoreMax, board: arena, max: 100000, action: quarantine }
    - { name: arena-floor, kind: scoreMin, board: arena, min: 0, action: reject }
    - { name: arena-jump, kind: scoreJump, board: arena, factor: 10, action: flag }
    - { name: arena-outlier, kind: scoreOutlier, board: arena, zScore: 6, minSamples: 100, action: quarantine }
`, 'f.yaml');
    expect(ok.anticheat.rules.map((r) => r.kind)).toEqual(['statRate', 'eventRate', 'scoreMax', 'scoreMin', 'scoreJump', 'scoreOutlier']);
    const bad = (rule: string) => () => parseGameConfig(`version: 1\nanticheat:\n  rules:\n    - ${rule}\n`, 'f.yaml');
    expect(bad('{ name: q, kind: statRate, stat: xp, maxIncrease: 5, perSeconds: 60, action: quarantine }')).toThrow(/quarantine is for score rules/);
    expect(bad('{ name: t, kind: eventRate, type: state.restore, max: 5, perSeconds: 60, action: flag }')).toThrow(/anticheat.rules\[0\].type/);
    expect(bad('{ name: w, kind: statRate, stat: xp, maxIncrease: 5, perSeconds: 100000, action: reject }')).toThrow(/perSeconds/);
    expect(() => parseGameConfig(`version: 1
anticheat:
  rules:
    - { name: same, kind: scoreMax, board: a, max: 1, action: flag }
    - { name: same, kind: scoreMin, board: a, min: 0, action: flag }
`, 'f.yaml')).toThrow(/duplicate rule name "same"/);
  });
});
