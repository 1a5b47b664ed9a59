// Which JSON values a player's `data` may hold: what PostgreSQL's jsonb can store, and what every later step
// (replay, cache, snapshots) can walk without running out of stack. Checked without recursion, so that the check
// itself survives a hostile value such as 100 000 nested arrays.

/** Deepest nesting of arrays and objects in a `data.set` value (the value itself is depth 1). */
export const MAX_DATA_VALUE_DEPTH = 32;

export interface StorableJsonLimits {
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
  /** Largest size as UTF-8 JSON. */
  maxBytes: number;
}

// Without the u flag the pattern sees UTF-16 code units: a high surrogate not followed by a low one, or a low one alone.
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// U+0000 is refused by PostgreSQL in text and jsonb; an unpaired surrogate is not Unicode and jsonb refuses its escape.
function badString(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains U+0000, which cannot be stored';
  if (UNPAIRED_SURROGATE.test(s)) return 'contains an unpaired UTF-16 surrogate';
  return undefined;
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

interface Node {
  v: unknown;
  depth: number;
  parent: Node | undefined;
  key: string | number;
}

// Built only for the error message, so a large valid value costs no strings.
function at(node: Node): string {
  const keys: Array<string | number> = [];
  for (let n: Node | undefined = node; n?.parent; n = n.parent) keys.push(typeof n.key === 'string' ? n.key.slice(0, 64) : n.key);
  return keys.length === 0 ? '' : `at ${keys.reverse().join('.')}: `;
}

/** Why `value` cannot be stored as a player's data value, or undefined when it can. */
export function storableJsonProblem(value: unknown, limits: StorableJsonLimits): string | undefined {
  const stack: Node[] = [{ v: value, depth: 1, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    const { v, depth } = node;
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return `${at(node)}numbers must be finite`;
      continue;
    }
    if (typeof v === 'string') {
      const bad = badString(v);
      if (bad) return `${at(node)}the string ${bad}`;
      continue;
    }
    if (typeof v !== 'object') return `${at(node)}not a JSON value`;
    if (depth > limits.maxDepth) return `${at(node)}nested deeper than ${limits.maxDepth} levels`;
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ v: item, depth: depth + 1, parent: node, key: i }));
      continue;
    }
    if (!isPlainObject(v)) return `${at(node)}not a JSON value`;
    for (const [key, item] of Object.entries(v)) {
      const bad = badString(key);
      if (bad) return `${at(node)}a key ${bad}`;
      stack.push({ v: item, depth: depth + 1, parent: node, key });
    }
  }
  // Only now: the depth is bounded, so JSON.stringify cannot overflow the stack.
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > limits.maxBytes) return `value must be at most ${limits.maxBytes} bytes of JSON`;
  return undefined;
}
