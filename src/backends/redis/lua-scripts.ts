// The Lua scripts of ./lua, read from disk once per process and defined on each client once (ioredis defineCommand:
// EVALSHA, falling back to EVAL when Redis does not have the script yet, e.g. after a restart).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from './redis-client.js';

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url));

export interface LuaScript {
  /** The command name on the client: `rs` + the file name in camel case (`take-3.lua` → `rsTake`). */
  command: string;
  /** Keys the script takes; null for a script named `<name>-n.lua`, whose caller passes the key count first. */
  numberOfKeys: number | null;
  lua: string;
}

let cached: Map<string, LuaScript> | undefined;

/** Every script, by file base name without the key count (`submit`, `take`, …). */
export function luaScripts(): Map<string, LuaScript> {
  if (cached) return cached;
  const scripts = new Map<string, LuaScript>();
  for (const file of readdirSync(LUA_DIR)) {
    const m = /^([a-z][a-z-]*?)-(\d+|n)\.lua$/.exec(file);
    if (!m) continue;
    const name = m[1] as string;
    const command = 'rs' + name.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase());
    scripts.set(name, { command, numberOfKeys: m[2] === 'n' ? null : Number(m[2]), lua: readFileSync(`${LUA_DIR}/${file}`, 'utf8') });
  }
  cached = scripts;
  return scripts;
}

export type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

/** Defines every script on `client` (once per client) and returns a caller by script name. */
export function defineScripts(client: RedisClient): (name: string, ...args: Array<string | number>) => Promise<unknown> {
  const fns = scriptFunctions(client);
  return (name, ...args) => {
    const fn = fns.get(name);
    if (!fn) throw new Error(`no Lua script named ${name}`);
    return fn(...args);
  };
}

/** Defines every script on `client` (once per client) and returns each as a function bound to it, by script name. */
export function scriptFunctions(client: RedisClient): Map<string, ScriptFn> {
  const scripts = luaScripts();
  const commands = client as unknown as Record<string, ScriptFn | undefined>;
  const fns = new Map<string, ScriptFn>();
  for (const [name, script] of scripts) {
    if (typeof commands[script.command] !== 'function') client.defineCommand(script.command, { numberOfKeys: script.numberOfKeys ?? undefined, lua: script.lua });
    fns.set(name, (commands[script.command] as ScriptFn).bind(client));
  }
  return fns;
}
