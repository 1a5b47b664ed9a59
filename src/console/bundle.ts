// The console's script: in a checkout, bundled from the TypeScript sources (src/console/app) with esbuild by the
// server (once, when the console is first opened), so `npm start` serves the code you see with no build step; where
// only dist/ was shipped, the bundle `npm run build` wrote beside this file.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Browsers the bundle is written for: every evergreen browser of the last two years. */
export const CONSOLE_TARGETS = ['chrome120', 'firefox121', 'safari17', 'edge120'];

export async function consoleScript(): Promise<string> {
  const source = fileURLToPath(new URL('./app/main.ts', import.meta.url));
  if (existsSync(source)) return bundleConsole(source);
  return readFile(fileURLToPath(new URL('./app.js', import.meta.url)), 'utf8');
}

export async function bundleConsole(entry: string): Promise<string> {
  // Loaded only here: a game server that embeds the library and never serves the console does not load esbuild.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    target: CONSOLE_TARGETS,
    platform: 'browser',
    write: false,
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return result.outputFiles?.[0]?.text ?? '';
}
