// The check of `data.set` values: everything PostgreSQL's jsonb stores passes; what it refuses, what nests too deep and
// what is not JSON fails with a reason, without recursion (a hostile value must not overflow the stack).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { playerEventSchema } from '../../src/players/index.js';
import { MAX_DATA_VALUE_DEPTH, storableJsonProblem } from '../../src/players/storable-json.js';

const limits = { maxDepth: 32, maxBytes: 16 * 1024 };
/** `depth` arrays and objects, one inside the other. */
const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
};

describe('storable JSON', () => {
  it('accepts JSON values within the limits', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6, noUnicodeString: false }), (v) => {
        fc.pre(!JSON.stringify(v).includes('\\u0000'));
        expect(storableJsonProblem(v, { maxDepth: 32, maxBytes: 1 << 30 })).toBeUndefined();
      }),
      { numRuns: 200, seed: 8 },
    );
    expect(storableJsonProblem(nested(32), limits)).toBeUndefined();
    expect(storableJsonProblem('😀 paired surrogates are fine', limits)).toBeUndefined();
    expect(storableJsonProblem({ __proto__: 1, constructor: { prototype: 2 } }, limits)).toBeUndefined();
  });

  it('refuses what jsonb cannot hold, wherever it hides', () => {
    const bad = ['a\u0000', '\ud800', 'x\udc00y', '\ud83d'];
    for (const s of bad) {
      expect(storableJsonProblem(s, limits), JSON.stringify(s)).toMatch(/U\+0000|surrogate/);
      expect(storableJsonProblem({ a: [1, { b: s }] }, limits)).toMatch(/^at a\.1\.b: the string/);
      expect(storableJsonProblem({ [s]: 1 }, limits)).toMatch(/a key/);
    }
  });

  it('refuses deep nesting without overflowing the stack, and values that are not JSON', () => {
    expect(storableJsonProblem(nested(33), limits)).toMatch(/nested deeper than 32/);
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(storableJsonProblem(deep, limits)).toMatch(/nested deeper than 32/);
    for (const v of [Infinity, -Infinity, NaN, undefined, () => 1, 10n, new Date(0), new Map(), Symbol('s')]) {
      expect(storableJsonProblem([v], limits), String(v)).toMatch(/finite|not a JSON value/);
    }
    expect(storableJsonProblem('x'.repeat(16 * 1024), limits)).toMatch(/at most 16384 bytes/);
  });

  it('is what data.set validates with', () => {
    expect(MAX_DATA_VALUE_DEPTH).toBe(32);
    const ok = playerEventSchema.safeParse({ type: 'data.set', data: { key: 'k', value: nested(32) } });
    expect(ok.success).toBe(true);
    const nul = playerEventSchema.safeParse({ type: 'data.set', data: { key: 'k', value: { a: 'x\u0000' } } });
    expect(nul.success).toBe(false);
    expect(nul.error?.issues[0]?.message).toMatch(/U\+0000/);
    expect(playerEventSchema.safeParse({ type: 'data.set', data: { key: 'k', value: nested(33) } }).success).toBe(false);
  });
});
