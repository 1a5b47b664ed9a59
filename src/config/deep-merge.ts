// The merge rule of experiment overrides (API.md): objects merge key by key, every other value (arrays included) replaces.

export type JsonObject = { [key: string]: unknown };

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A new object: `base` with `override` merged in. Neither input is modified, so frozen inputs are fine. */
export function deepMerge<T extends JsonObject>(base: T, override: JsonObject): T {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    setOwn(out, key, isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value);
  }
  return out as T;
}

/** Assigns as an own property even for the key `__proto__`, which plain assignment would treat as the prototype. */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
