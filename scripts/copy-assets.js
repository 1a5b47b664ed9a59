// Copies the non-TypeScript files the code reads at run time (SQL migrations, Lua scripts) into dist/, and bundles
// the console's browser code (src/console/app, left out of tsc's output) into dist/console/app.js.
import { cpSync, existsSync } from 'node:fs';
import { build } from 'esbuild';

for (const dir of ['backends/postgres/migrations', 'backends/redis/lua']) {
  if (existsSync(`src/${dir}`)) cpSync(`src/${dir}`, `dist/${dir}`, { recursive: true });
}

const { CONSOLE_TARGETS } = await import('../dist/console/bundle.js');
await build({ entryPoints: ['src/console/app/main.ts'], bundle: true, format: 'esm', target: CONSOLE_TARGETS, platform: 'browser', outfile: 'dist/console/app.js', legalComments: 'none', logLevel: 'warning' });
