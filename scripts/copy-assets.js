// Copies the non-TypeScript files the code reads at run time (SQL migrations, Lua scripts) into dist/.
import { cpSync, existsSync } from 'node:fs';

for (const dir of ['backends/postgres/migrations', 'backends/redis/lua']) {
  if (existsSync(`src/${dir}`)) cpSync(`src/${dir}`, `dist/${dir}`, { recursive: true });
}
