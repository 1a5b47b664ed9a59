// The `hash` of a config: the same validated content gives the same hash on every instance, whatever the
// file's formatting, key order or comments.
import { createHash } from 'node:crypto';
import { setOwn } from './deep-merge.js';

/** JSON with object keys sorted at every level, so equal values serialize to equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) setOwn(sorted, k, (v as Record<string, unknown>)[k]);
    return sorted;
  });
}

/** First 16 hex digits (64 bits) of the SHA-256 of the canonical JSON. */
export function configHash(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 16);
}
