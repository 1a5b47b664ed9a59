#!/usr/bin/env node
// Runs the TypeScript sources through tsx in a checkout (so `npm start` always runs the code you see), and the
// compiled CLI (`npm run build`) where only dist/ was shipped.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli.js', import.meta.url).href);
}
