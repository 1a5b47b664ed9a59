// `realmstate/client` is what game servers install: its entry points must exist, and it must load nothing of the
// server (its types come from the server's schemas through type-only imports, which the compiler erases).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);

describe('realmstate/client package', () => {
  it('exports "." and "./client" from dist files whose sources exist', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { exports: Record<string, { types: string; default: string } | string> };
    expect(Object.keys(pkg.exports)).toEqual(expect.arrayContaining(['.', './client']));
    for (const [name, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      const source = target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
      expect(existsSync(new URL(source, root)), `${name} → ${source}`).toBe(true);
      expect(target.types).toBe(target.default.replace(/\.js$/, '.d.ts'));
    }
  });

  it('imports at run time only its own files', () => {
    const dir = new URL('src/client/', root);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      const runtime = [...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)]
        .filter((m) => !/^(?:import|export)\s*\{[^}]*\}/.test(m[0]) || !/^\s*(?:import|export)\s*\{\s*(?:type\s+[^,}]+,?\s*)+\}/.test(m[0]))
        .map((m) => m[1] as string);
      for (const spec of runtime) expect(spec.startsWith('./'), `${file} imports ${spec} at run time`).toBe(true);
    }
  });
});
