// The Lua scripts of ./lua, read from disk once per process and defined on each client once (ioredis defineCommand:
// EVALSHA, falling back to EVAL when Redis does not have the script yet, e.g. after a restart).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from './redis-client.js';

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url));

export interface LuaScript {
  /** The command name on the client: `rs` + the file name in camel case (`take-3.lua` → `rsTake`). */
  command: string;
  /** From the file name; `-n.lua`: any number, the caller passes the count before the keys. */
  numberOfKeys: number | undefined;
  lua: string;
}

let cached: Map<string, LuaScript> | undefined;

/** Every script, by file base name without the key count (`submit`, `take`, …). */
export function luaScripts(): Map<string, LuaScript> {
  if (cached) return cached;
  const scripts = new Map<string, LuaScript>();
  for (const file of readdirSync(LUA_DIR)) {
    const m = /^([a-z][a-z-]*)-(\d+|n)\.lua$/.exec(file);
    if (!m) continue;
    const name = m[1] as string;
    const command = 'rs' + name.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase());
    scripts.set(name, { command, numberOfKeys: m[2] === 'n' ? undefined : Number(m[2]), lua: readFileSync(`${LUA_DIR}/${file}`, 'utf8') });
  }
  cached = scripts;
  return scripts;
}

type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

/** Defines every script on `client` (once per client) and returns a caller by script name. */
export function defineScripts(client: RedisClient): (name: string, ...args: Array<string | number>) => Promise<unknown> {
  const scripts = luaScripts();
  const commands = client as unknown as Record<string, ScriptFn | undefined>;
  for (const script of scripts.values()) {
    if (typeof commands[script.command] !== 'function') client.defineCommand(script.command, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
  return (name, ...args) => {
    const script = scripts.get(name);
    if (!script) throw new Error(`no Lua script named ${name}`);
    return (commands[script.command] as ScriptFn).apply(client, args);
  };
}
