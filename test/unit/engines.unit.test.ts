// `engines` tells the truth: every runtime dependency in the lock file runs on the oldest Node the package accepts,
// and every package (dev tools included) on the Node running this test, so `npm ci` does not warn EBADENGINE.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// npm's own range semantics (semver has no bundled types; these two functions are all this test uses).
const semver = createRequire(import.meta.url)('semver') as { satisfies: (version: string, range: string) => boolean; minVersion: (range: string) => { version: string } | null };

interface LockPackage {
  dev?: boolean;
  engines?: { node?: string } | string[];
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, LockPackage> };

function nodeRange(p: LockPackage): string | undefined {
  return p.engines && !Array.isArray(p.engines) && typeof p.engines.node === 'string' ? p.engines.node : undefined;
}

describe('engines', () => {
  it('every runtime dependency accepts the oldest Node of package.json engines', () => {
    const oldest = semver.minVersion(pkg.engines.node)?.version as string;
    expect(oldest).toBe('20.9.0');
    const refusing = Object.entries(lock.packages)
      .filter(([name, p]) => name !== '' && !p.dev && nodeRange(p) !== undefined && !semver.satisfies(oldest, nodeRange(p) as string))
      .map(([name, p]) => `${name} (${nodeRange(p)})`);
    expect(refusing).toEqual([]);
  });

  it('every package accepts the Node running the tests', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([name, p]) => name !== '' && nodeRange(p) !== undefined && !semver.satisfies(process.version, nodeRange(p) as string))
      .map(([name, p]) => `${name} (${nodeRange(p)})`);
    expect(refusing).toEqual([]);
  });
});
