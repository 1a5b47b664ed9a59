// Loads the Lua scripts of ./lua once per client with ioredis defineCommand (EVALSHA, falling back to EVAL).
// A file is named `<name>-<numKeys>.lua`; the command is registered under the camel-cased name.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url));

interface ScriptFile {
  command: string;
  numberOfKeys: number;
  lua: string;
}

let cached: ScriptFile[] | undefined;

function scriptFiles(): ScriptFile[] {
  cached ??= readdirSync(LUA_DIR)
    .filter((f) => f.endsWith('.lua'))
    .map((file) => {
      const m = /^(.+)-(\d+)\.lua$/.exec(file);
      if (!m) throw new Error(`Lua script ${file} must be named <name>-<numKeys>.lua`);
      const command = (m[1] as string).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      return { command, numberOfKeys: Number(m[2]), lua: readFileSync(`${LUA_DIR}${file}`, 'utf8') };
    });
  return cached;
}

const defined = new WeakSet<Redis>();

/** Registers every script on `client` (once). */
export function defineScripts(client: Redis): void {
  if (defined.has(client)) return;
  for (const s of scriptFiles()) client.defineCommand(s.command, { numberOfKeys: s.numberOfKeys, lua: s.lua });
  defined.add(client);
}
