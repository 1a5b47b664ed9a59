// Random and adversarial HTTP requests for every route of the OpenAPI document, each with an oracle saying whether
// it is valid: the route's own schemas (from the registry the document is built from) judge ids, query and body, and
// the route's access judges the key. Requests to routes added later are generated without changes here; the sample
// bodies below only make known routes' requests more often well-formed.
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { registeredRoutes, zodValidatorCompiler, type RegisteredRoute } from '../../src/http/route-spec.js';
import { ADMIN_KEY, API_KEY } from './realm.js';

export type Access = 'public' | 'game' | 'admin';

export interface FuzzRoute {
  method: string;
  /** OpenAPI path, e.g. /v1/players/{id}/events. */
  path: string;
  access: Access;
  pathParams: string[];
  queryParams: string[];
  spec: RegisteredRoute;
}

/**
 * valid: every part passes the route's checks; invalid: some part certainly fails them (never 200, never a write);
 * rejected: well formed but certainly refused by the domain (409/422, never a write); unknown: the oracle cannot tell.
 */
export type Validity = 'valid' | 'invalid' | 'rejected' | 'unknown';

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  route: FuzzRoute | undefined;
  validity: Validity;
  /** Which parts made it invalid or unknown, for failure messages. */
  why: string[];
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { security?: unknown; description?: string; parameters?: Array<{ name: string; in: string }> }>>;
}

/** The routes of the OpenAPI document, joined with their registered schemas. */
export function routesOf(doc: OpenApiDoc, app: FastifyInstance): FuzzRoute[] {
  const registry = registeredRoutes(app);
  const routes: FuzzRoute[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const spec = registry.find((r) => r.method === method.toUpperCase() && r.path === path);
      if (!spec) throw new Error(`${method} ${path} is in the OpenAPI document but not registered`);
      const access: Access = !(Array.isArray(op.security) && op.security.length > 0) ? 'public' : /admin key/.test(op.description ?? '') ? 'admin' : 'game';
      if (access !== spec.access) throw new Error(`${method} ${path}: the document says ${access}, the route ${spec.access}`);
      routes.push({
        method: method.toUpperCase(),
        path,
        access,
        pathParams: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        spec,
      });
    }
  }
  return routes;
}

// ---- the parts of a request -----------------------------------------------------------------------------------

interface AuthPart {
  header?: string;
  principal?: 'game' | 'admin';
}

const near = (key: string) => `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
const BAD_AUTH = [
  '',
  'Bearer',
  'Bearer ',
  `Bearer ${near(API_KEY)}`,
  `Bearer ${API_KEY}${API_KEY}`,
  `Bearer ${API_KEY.slice(0, 8)}`,
  `bearer ${near(API_KEY)}`,
  `Basic ${Buffer.from(`u:${API_KEY}`).toString('base64')}`,
  `Token ${API_KEY}`,
  `Bearer ${API_KEY} ${API_KEY}`,
  `Bearer ${'A'.repeat(600)}`,
  `Bearer ${'k'.repeat(8000)}`,
  'Bearer ключ-ключ-ключ-ключ',
  `Bearer ${near(ADMIN_KEY)}`,
];

const authArb: fc.Arbitrary<AuthPart> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<AuthPart>({ header: `Bearer ${API_KEY}`, principal: 'game' }) },
  { weight: 3, arbitrary: fc.constant<AuthPart>({ header: `Bearer ${ADMIN_KEY}`, principal: 'admin' }) },
  { weight: 1, arbitrary: fc.constant<AuthPart>({}) },
  { weight: 2, arbitrary: fc.constantFrom(...BAD_AUTH).map((header): AuthPart => ({ header })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((s): AuthPart => ({ header: `Bearer ${s}` })) },
);

interface PathValue {
  /** What goes into the URL. */
  segment: string;
  /** Whether the URL may route elsewhere because of it (a raw '/', '..', '?', '#', a space). */
  reroutes: boolean;
}

const SEEDED = ['fz-seed-1', 'fz-seed-2'];
const encoded = (s: string): PathValue => ({ segment: encodeURIComponent(s), reroutes: s === '.' || s === '..' });
const RAW_IDS: PathValue[] = [
  ...['..', '.', 'a/b', 'a/../b', '?x=1', '#frag', 'a b', '%2e%2e', '%2E', '..%2F..%2Fetc'].map((segment) => ({ segment, reroutes: true })),
  ...['%2F', '%00', '%', '%ZZ', '%ED%A0%80', '%C3%A9', '%FF', '', '%252F', '__proto__', 'constructor', 'x'.repeat(65), 'x'.repeat(201), '%20', "'--", ';'].map(
    (segment) => ({ segment, reroutes: false }),
  ),
];

const idArb: fc.Arbitrary<PathValue> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SEEDED).map(encoded) },
  { weight: 3, arbitrary: fc.stringMatching(/^fz-[A-Za-z0-9_.:-]{1,20}$/).map(encoded) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }).map(encoded) },
  { weight: 1, arbitrary: fc.string({ minLength: 60, maxLength: 260 }).map(encoded) },
  { weight: 3, arbitrary: fc.constantFrom(...RAW_IDS) },
);

type QueryPart = { pairs: Array<[string, string]> } | { raw: string };

const QUERY_VALUES = [
  '0', '1', '2', '5', '10', '100', '1000', '1001', '-1', '-0', '+1', '1.5', '1e3', '0x10', ' 1', '１',
  '9007199254740991', '9007199254740992', '99999999999999999999', 'NaN', 'Infinity', '', 'true', 'null', '[]',
  'strong', 'eventual', 'STRONG', ...SEEDED, 'eu', '%', '\u0000',
];
const RAW_QUERIES = ['%ZZ', '&&&', '=', 'a=%', 'a=%ZZ', '=1&=2', `${'a=1&'.repeat(300)}`, 'limit=1&limit=2&limit=3', 'x[y][z]=1', '%00=%00'];

function queryArb(names: string[]): fc.Arbitrary<QueryPart> {
  const key = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names, 'limit', 'after', 'seq', 'playerId', 'consistency') },
    { weight: 1, arbitrary: fc.constantFrom('foo', '__proto__', 'constructor', 'limit[]', 'a.b', '') },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
  );
  const value = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...QUERY_VALUES) },
    { weight: 1, arbitrary: fc.integer().map(String) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  );
  return fc.oneof(
    { weight: 5, arbitrary: fc.array(fc.tuple(key, value), { maxLength: 4 }).map((pairs): QueryPart => ({ pairs })) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_QUERIES).map((raw): QueryPart => ({ raw })) },
  );
}

type BodyPart = { kind: 'none' } | { kind: 'json'; value: unknown; rejected?: boolean } | { kind: 'text'; text: string };

const nest = (depth: number, open: string, close: string, inner = '1') => open.repeat(depth) + inner + close.repeat(depth);
const ADVERSARIAL_TEXTS = [
  '', ' ', 'null', 'true', '0', '-0', '1e309', '-1e309', 'NaN', 'Infinity', '"string"', '[]', '{}', '{', '}', '{"a":', '[1,2',
  '{"a":1,"a":2}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"events":[],"__proto__":{"x":1}}',
  '\uFEFF{}', '{"a":"\\ud800"}', '{"a":"\\u0000"}', "{'a':1}", '{"a":1}garbage', '{"a":01}', '{"a":1e999999}', '{"a":.5}',
  nest(100_000, '[', ']', ''),
  nest(20_000, '{"a":', '}'),
  `{"ids":${nest(50_000, '[', ']', '"x"')}}`,
  `{"events":[{"type":"data.set","data":{"key":"k","value":${nest(10_000, '[', ']', '0')}}}]}`,
  `{"events":[{"type":"data.set","data":{"key":"k","value":${nest(33, '{"a":', '}')}}}]}`,
  '{"events":[{"type":"data.set","data":{"key":"k","value":"a\\u0000b"}}]}',
  '{"events":[{"type":"data.set","data":{"key":"k","value":{"\\u0000":1}}}]}',
  '{"events":[{"type":"data.set","data":{"key":"k","value":"\\udc00"}}]}',
  '{"events":[{"type":"stat.add","data":{"stat":"xp","amount":1e309}}]}',
  '{"events":[{"type":"stat.add","data":{"stat":"xp","amount":9007199254740993}}]}',
  '{"events":[{"type":"stat.add","data":{"stat":"xp","amount":-0}}],"expectedSeq":-0}',
  '{"events":[{"type":"stat.add","data":{"stat":"__proto__","amount":1}}],"expectedSeq":1e400}',
  `{"events":[${Array(101).fill('{"type":"stat.add","data":{"stat":"xp","amount":1}}').join(',')}]}`,
  `{"ids":[${Array(1001).fill('"a"').join(',')}]}`,
  `{"pad":"${'x'.repeat(1024 * 1024 + 10)}"}`,
];

/** JSON values at the edges of what the storage takes: refused characters, depth, size, number range. */
const hostileValueArb: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  'a\u0000b', '\u0000', '\ud800', 'x\udfff', '😀', { 'k\u0000': 1 }, { nested: ['ok', '\ud83d'] },
  1e300, -1e300, 5e-324, -0, 2 ** 53 + 2, Number.MAX_VALUE,
  JSON.parse(`${'['.repeat(32)}${']'.repeat(32)}`), JSON.parse(`${'['.repeat(33)}${']'.repeat(33)}`),
  'x'.repeat(16 * 1024 - 2), 'x'.repeat(16 * 1024 - 1), 'é'.repeat(8 * 1024),
);

const NAMES = ['xp', 'gold', 'hp', 'fz-stat', '__proto__', 'constructor', 'a.b:c_d-e'];
const nameArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/) });
const validEventArb = fc.oneof(
  fc.record({ type: fc.constant('stat.add'), data: fc.record({ stat: nameArb, amount: fc.integer({ min: 0, max: 1000 }) }) }),
  fc.record({ type: fc.constant('stat.set'), data: fc.record({ stat: nameArb, value: fc.integer({ min: 0, max: 1000 }) }) }),
  fc.record({ type: fc.constant('stat.max'), data: fc.record({ stat: nameArb, value: fc.integer({ min: 0, max: 1000 }) }) }),
  fc.record({ type: fc.constant('item.grant'), data: fc.record({ item: nameArb, qty: fc.integer({ min: 1, max: 10 }) }) }),
  fc.record({ type: fc.constant('data.set'), data: fc.record({ key: nameArb, value: fc.oneof(fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }), hostileValueArb) }) }),
  fc.record({ type: fc.constant('data.unset'), data: fc.record({ key: nameArb }) }),
);
/** Events every player refuses: nobody holds the item, and the stat is never set. */
const rejectingEventArb = fc.oneof(
  fc.record({ type: fc.constant('item.consume'), data: fc.record({ item: fc.constant('fz-never-granted'), qty: fc.integer({ min: 1, max: 100 }) }) }),
  fc.record({ type: fc.constant('stat.add'), data: fc.record({ stat: fc.constant('fz-never-set'), amount: fc.integer({ min: -100, max: -1 }) }) }),
);
/** Replaces the node at a random path of `value` (a JSON tree) by `replacement`. */
function poke(value: unknown, picks: number[], replacement: unknown): unknown {
  if (picks.length === 0 || value === null || typeof value !== 'object') return replacement;
  const [pick, ...rest] = picks as [number, ...number[]];
  if (Array.isArray(value)) {
    if (value.length === 0) return replacement;
    const copy = [...value];
    const i = pick % value.length;
    copy[i] = poke(value[i], rest, replacement);
    return copy;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[pick % keys.length] as string;
  return { ...(value as Record<string, unknown>), [key]: poke((value as Record<string, unknown>)[key], rest, replacement) };
}
let deepValue: unknown = 0;
for (let i = 0; i < 40; i++) deepValue = i % 2 ? [deepValue] : { a: deepValue };
const WRONG_VALUES = [
  null, '', 'x', -1, 0, -0, 1.5, 2 ** 53, -(2 ** 53), 1e300, 5e-324, [], {}, true, 'a'.repeat(70), 'x y', [null], { extra: 1 }, 'stat.explode',
  'a\u0000b', '\ud800', 'x\udc00', { 'k\u0000': 1 }, deepValue, 'é', '😀',
];
const poked = (valid: fc.Arbitrary<unknown>) =>
  fc.tuple(valid, fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), fc.constantFrom(...WRONG_VALUES)).map(([v, picks, wrong]) => poke(v, picks, wrong));

interface Samples {
  valid: fc.Arbitrary<unknown>;
  rejected?: fc.Arbitrary<unknown>;
}
/** Well-formed bodies for the routes known today; other routes get random and adversarial bodies only. */
const SAMPLES: Record<string, Samples> = {
  'POST /v1/players/{id}/events': {
    valid: fc.record(
      { events: fc.array(validEventArb, { minLength: 1, maxLength: 5 }), durability: fc.constantFrom('sync', 'batched') },
      { requiredKeys: ['events'] },
    ),
    rejected: fc.oneof(
      fc.tuple(fc.array(validEventArb, { maxLength: 3 }), rejectingEventArb).map(([events, bad]) => ({ events: [...events, bad] })),
      fc.array(validEventArb, { minLength: 1, maxLength: 3 }).map((events) => ({ events, expectedSeq: 100_000 })),
    ),
  },
  'POST /v1/players:batchGet': {
    valid: fc.array(fc.oneof(fc.constantFrom(...SEEDED), fc.stringMatching(/^fz-[a-z0-9]{1,10}$/)), { minLength: 1, maxLength: 20 }).map((ids) => ({ ids })),
  },
};

function bodyArb(route: FuzzRoute | undefined): fc.Arbitrary<BodyPart> {
  const samples = route ? SAMPLES[`${route.method} ${route.path}`] : undefined;
  const parts: Array<fc.WeightedArbitrary<BodyPart>> = [
    { weight: 1, arbitrary: fc.constant<BodyPart>({ kind: 'none' }) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value): BodyPart => ({ kind: 'json', value })) },
    { weight: 2, arbitrary: fc.constantFrom(...ADVERSARIAL_TEXTS).map((text): BodyPart => ({ kind: 'text', text })) },
  ];
  if (samples) {
    parts.push({ weight: 3, arbitrary: samples.valid.map((value): BodyPart => ({ kind: 'json', value })) });
    parts.push({ weight: 3, arbitrary: poked(samples.valid).map((value): BodyPart => ({ kind: 'json', value })) });
    if (samples.rejected) parts.push({ weight: 2, arbitrary: samples.rejected.map((value): BodyPart => ({ kind: 'json', value, rejected: true })) });
  }
  return fc.oneof(...parts);
}

/** Content types fastify certainly parses as JSON. Other spellings of JSON are left to the oracle as unknown. */
const JSON_TYPES = ['application/json', 'application/json; charset=utf-8'];
const JSONISH_TYPES = ['APPLICATION/JSON', 'application/json;charset=UTF-8', 'application/json; charset=latin1', 'application/json, text/plain'];
const OTHER_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/vnd.api+json', 'application/jsonx', 'text/html'];
const contentTypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...JSON_TYPES) },
  { weight: 1, arbitrary: fc.constantFrom(...JSONISH_TYPES) },
  { weight: 2, arbitrary: fc.constantFrom(...OTHER_TYPES) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, '') },
);

/** Headers that should change nothing, and two whose effect the oracle does not model. */
const extraHeadersArb: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Record<string, string>>(
      { accept: 'text/html' },
      { accept: '*/*' },
      { 'x-forwarded-for': '1.2.3.4, 5.6.7.8' },
      { 'x-request-id': '../../etc/passwd' },
      { 'user-agent': 'x'.repeat(4000) },
      { cookie: 'session=abc; __proto__=1' },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<Record<string, string>>({ 'accept-version': '1.x' }, { 'content-encoding': 'gzip' }) },
);
const UNMODELLED_HEADERS = ['accept-version', 'content-encoding'];

// ---- building a request and judging it ------------------------------------------------------------------------

const FIXED_UNKNOWN_PATHS = ['/', '/v1', '/v1/', '/v1/players', '/v1/players/', '/v2/players/fz-seed-1', '/V1/players/fz-seed-1', '/v1/config/status/x', '/.env', '/admin', '/v1/players/fz-seed-1/', '/v1/players/fz-seed-1/events/1', '/healthz/x', '/openapi.json/..%2F'];

export interface FuzzArbitraries {
  /** Requests to documented routes (with an occasional other method) and to unknown routes. */
  request: fc.Arbitrary<FuzzRequest>;
  /** Well-formed, authenticated requests to the routes with refusal samples, carrying a body the domain refuses. */
  refused: fc.Arbitrary<FuzzRequest>;
  /**
   * Requests with the right key, well-formed ids and a JSON content type, so that hostile content in the query and
   * the body (U+0000, unpaired surrogates, deep nesting, number edges) reaches validation, handlers and storage.
   */
  wellFormed: fc.Arbitrary<FuzzRequest>;
}

export function fuzzArbitraries(routes: FuzzRoute[]): FuzzArbitraries {
  const templates = routes.map((r) => new RegExp(`^${r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`));
  const unknownPaths = FIXED_UNKNOWN_PATHS.filter((p) => !templates.some((t) => t.test(p)));
  const toRoute = fc.record({
    route: fc.constantFrom(...routes),
    otherMethod: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
    ),
    ids: fc.array(idArb, { minLength: 4, maxLength: 4 }),
    auth: authArb,
    contentType: contentTypeArb,
    extra: extraHeadersArb,
  }).chain((base) => fc.record({ query: queryArb(base.route.queryParams), body: bodyArb(base.route) }).map((rest) => ({ ...base, ...rest })));
  const toUnknown = fc.record({
    path: fc.oneof(fc.constantFrom(...unknownPaths), fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => `/v1/fz-unknown/${encodeURIComponent(s)}`)),
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
    auth: authArb,
    body: bodyArb(undefined),
    contentType: contentTypeArb,
  });
  const request = fc.oneof(
    { weight: 9, arbitrary: toRoute.map((r) => buildRouted(routes, r)) },
    { weight: 1, arbitrary: toUnknown.map((u) => buildUnknown(u)) },
  );
  const refusable = routes.filter((r) => SAMPLES[`${r.method} ${r.path}`]?.rejected);
  const refused = fc
    .record({
      route: fc.constantFrom(...refusable),
      ids: fc.array(fc.oneof(fc.constantFrom(...SEEDED), fc.stringMatching(/^fz-[a-z0-9]{1,10}$/)).map(encoded), { minLength: 4, maxLength: 4 }),
      auth: fc.constantFrom<AuthPart>({ header: `Bearer ${API_KEY}`, principal: 'game' }, { header: `Bearer ${ADMIN_KEY}`, principal: 'admin' }),
      contentType: fc.constantFrom(...JSON_TYPES),
    })
    .chain((base) =>
      (SAMPLES[`${base.route.method} ${base.route.path}`]?.rejected as fc.Arbitrary<unknown>).map((value) =>
        buildRouted(routes, { ...base, otherMethod: undefined, extra: {}, query: { pairs: [] }, body: { kind: 'json', value, rejected: true } }),
      ),
    );
  const validIds = fc.array(fc.oneof(fc.constantFrom(...SEEDED), fc.stringMatching(/^fz-[a-z0-9]{1,10}$/)).map(encoded), { minLength: 4, maxLength: 4 });
  const wellFormed = fc
    .record({ route: fc.constantFrom(...routes), ids: validIds, contentType: fc.constantFrom(...JSON_TYPES), admin: fc.boolean() })
    .chain((base) =>
      fc.record({ query: queryArb(base.route.queryParams), body: bodyArb(base.route) }).map((rest) => {
        const principal = base.route.access === 'admin' || base.admin ? 'admin' : 'game';
        const auth: AuthPart = { header: `Bearer ${principal === 'admin' ? ADMIN_KEY : API_KEY}`, principal };
        return buildRouted(routes, { ...base, ...rest, auth, otherMethod: undefined, extra: {} });
      }),
    );
  return { request, refused, wellFormed };
}

function headersOf(auth: AuthPart, contentType: string | undefined, body: BodyPart, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { ...extra };
  if (auth.header !== undefined) headers.authorization = auth.header;
  if (body.kind !== 'none' && contentType !== undefined) headers['content-type'] = contentType;
  return headers;
}

function payloadOf(body: BodyPart): string | undefined {
  if (body.kind === 'none') return undefined;
  return body.kind === 'text' ? body.text : JSON.stringify(body.value);
}

function buildUnknown(u: { path: string; method: string; auth: AuthPart; body: BodyPart; contentType: string | undefined }): FuzzRequest {
  return {
    method: u.method,
    url: u.path,
    headers: headersOf(u.auth, u.contentType, u.body),
    payload: payloadOf(u.body),
    route: undefined,
    validity: 'invalid',
    why: ['unknown route'],
  };
}

type Routed = {
  route: FuzzRoute;
  otherMethod: string | undefined;
  ids: PathValue[];
  auth: AuthPart;
  contentType: string | undefined;
  extra: Record<string, string>;
  query: QueryPart;
  body: BodyPart;
};

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function buildRouted(routes: FuzzRoute[], r: Routed): FuzzRequest {
  const method = r.otherMethod ?? r.route.method;
  const why: string[] = [];
  let validity: Validity = 'valid';
  const mark = (v: 'invalid' | 'unknown', reason: string) => {
    why.push(`${v}: ${reason}`);
    if (v === 'unknown' || validity !== 'unknown') validity = v;
  };

  // The route actually addressed: another documented method on the same path is that route.
  const route = method === r.route.method ? r.route : routes.find((x) => x.path === r.route.path && x.method === method);
  const params: Record<string, string | undefined> = {};
  let path = r.route.path;
  r.route.pathParams.forEach((name, i) => {
    const value = r.ids[i % r.ids.length] as PathValue;
    path = path.replace(`{${name}}`, value.segment);
    params[name] = safeDecode(value.segment);
    if (value.reroutes) mark('unknown', `path ${name}=${JSON.stringify(value.segment)} may route elsewhere`);
  });

  let query = '';
  if ('raw' in r.query) {
    query = `?${r.query.raw}`;
    mark('unknown', `raw query ${JSON.stringify(r.query.raw.slice(0, 40))}`);
  } else if (r.query.pairs.length > 0) {
    query = `?${r.query.pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
  }

  const headers = headersOf(r.auth, r.contentType, r.body, r.extra);
  const request: FuzzRequest = { method, url: `${path}${query}`, headers, payload: payloadOf(r.body), route, validity: 'valid', why };
  if (Object.keys(r.extra).some((h) => UNMODELLED_HEADERS.includes(h))) mark('unknown', `header ${Object.keys(r.extra).join(',')}`);

  if (!route) {
    mark('invalid', `no route ${method} ${r.route.path}`);
    request.validity = validity;
    return request;
  }
  if (route.access !== 'public') {
    if (!r.auth.principal) mark('invalid', 'no valid key');
    else if (route.access === 'admin' && r.auth.principal !== 'admin') mark('invalid', 'game key on an admin route');
  }
  if (route.spec.params) {
    if (Object.values(params).some((v) => v === undefined)) mark('invalid', 'a path parameter is not valid percent-encoding');
    else if (!route.spec.params.safeParse(params).success) mark('invalid', `path ${JSON.stringify(params).slice(0, 80)}`);
  }
  if (route.spec.query && 'pairs' in r.query) {
    const grouped = new Map<string, string[]>();
    for (const [k, v] of r.query.pairs) grouped.set(k, [...(grouped.get(k) ?? []), v]);
    const parsed = Object.fromEntries([...grouped].map(([k, vs]) => [k, vs.length === 1 ? vs[0] : vs]));
    // Judged as the server's validator judges it (it reads integers out of query strings first).
    if ('error' in zodValidatorCompiler({ schema: route.spec.query, httpPart: 'querystring' })(parsed)) mark('invalid', `query ${query.slice(0, 80)}`);
  }
  judgeBody(route, r, mark);
  const rejected = validity === 'valid' && route === r.route && r.body.kind === 'json' && r.body.rejected === true;
  request.validity = rejected ? 'rejected' : validity;
  return request;
}

function judgeBody(route: FuzzRoute, r: Routed, mark: (v: 'invalid' | 'unknown', reason: string) => void): void {
  const payload = payloadOf(r.body);
  if (route.method === 'GET') {
    // fastify does not read a GET body.
    return;
  }
  const schema: z.ZodType | undefined = route.spec.body;
  if (!schema) {
    if (r.body.kind !== 'none') mark('unknown', 'a body on a route without one');
    return;
  }
  if (r.body.kind === 'none') {
    if (!schema.safeParse(undefined).success) return mark('invalid', 'no body');
    // A route whose body is optional (unban's reason, a rebalance's dryRun) may go without; with a content-type and
    // nothing after it, fastify may refuse the empty body, so that case is not judged.
    if (r.contentType) mark('unknown', 'an empty body with a content-type');
    return;
  }
  if (Buffer.byteLength(payload ?? '') > 1024 * 1024) return mark('invalid', 'body over 1 MiB');
  const type = r.contentType;
  if (type === undefined || type === '' || OTHER_TYPES.includes(type)) return mark('invalid', `content-type ${JSON.stringify(type)}`);
  if (!JSON_TYPES.includes(type)) return mark('unknown', `content-type ${type}`);
  let value: unknown;
  try {
    value = JSON.parse((payload ?? '').replace(/^\uFEFF/, ''));
  } catch {
    return mark('invalid', 'malformed JSON');
  }
  // fastify hands over a JSON null as it does a missing body, and the server takes both as none (route-spec.ts).
  const ok = schema.safeParse(value === null && schema.safeParse(undefined).success ? undefined : value).success;
  if (!ok) return mark('invalid', 'body fails the schema');
  // fastify refuses these keys outright (prototype poisoning); the schema alone might have accepted them.
  if (/"(__proto__|constructor)"\s*:/.test(payload ?? '')) mark('unknown', 'body with __proto__ or constructor keys');
}
