// Checks real responses against the OpenAPI document the server serves: the status is listed for the route, the body
// matches the schema of that status, and the documented headers are there. The e2e suites run every response through
// it (startTestRealm's app, the server-process helpers), so the document cannot drift from what the server does.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildOpenApi } from '../../src/http/openapi.js';

type Json = Record<string, unknown>;
// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

export interface ObservedResponse {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

export class ContractChecker {
  private readonly ajv: Ajv2020;
  private readonly operations: Array<{ method: string; pattern: RegExp; params: number; template: string; op: Json }> = [];
  private readonly validators = new Map<string, ValidateFunction>();
  /** Operations seen, `get /v1/players/{id} 200`: what the suite exercised. */
  readonly seen = new Set<string>();

  constructor(readonly doc: Json) {
    this.ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ ...doc, $id: 'openapi' });
    for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
      for (const [method, op] of Object.entries(item)) {
        this.operations.push({ method: method.toUpperCase(), pattern: new RegExp(`^${source}$`), params: (template.match(/\{/g) ?? []).length, template, op: op as Json });
      }
    }
  }

  /** Problems with one response; empty when it matches the document (or its route is not in the document). */
  problems(r: ObservedResponse): string[] {
    const path = new URL(r.url, 'http://x').pathname;
    const found = this.operations.filter((o) => o.method === r.method.toUpperCase() && o.pattern.test(path)).sort((a, b) => a.params - b.params)[0];
    if (!found) return [];
    const where = `${r.method} ${r.url} → ${r.status}`;
    const responses = found.op.responses as Record<string, Json>;
    let response = responses[String(r.status)] ?? responses.default;
    if (!response) return [`${where}: status ${r.status} is not listed for ${found.method} ${found.template} (listed: ${Object.keys(responses).join(', ')})`];
    let pointer = `openapi#/paths/${escape(found.template)}/${found.method.toLowerCase()}/responses/${r.status}`;
    if (typeof response.$ref === 'string') {
      pointer = `openapi${response.$ref}`;
      response = this.resolve(response.$ref);
    }
    this.seen.add(`${found.method.toLowerCase()} ${found.template} ${r.status}`);
    const out: string[] = [];
    for (const [name, h] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
      const value = r.headers[name.toLowerCase()];
      if (value === undefined) {
        if (h.required) out.push(`${where}: header ${name} is missing`);
        continue;
      }
      const schema = h.schema as Json;
      const typed = schema.type === 'integer' ? Number(value) : value;
      if (!this.validator(`${pointer}/headers/${escape(name)}/schema`)(typed)) out.push(`${where}: header ${name}: ${String(value)} does not match ${JSON.stringify(schema)}`);
    }
    const content = (response.content ?? {}) as Record<string, Json>;
    const contentType = String(r.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    const media = Object.keys(content);
    if (media.length === 0) return out;
    if (!media.includes(contentType)) return [...out, `${where}: content-type ${contentType} is not one of ${media.join(', ')}`];
    let body: unknown = r.body;
    if (contentType === 'application/json') {
      try {
        body = JSON.parse(r.body);
      } catch {
        return [...out, `${where}: the body is not JSON: ${r.body.slice(0, 200)}`];
      }
    }
    const validate = this.validator(`${pointer}/content/${escape(contentType)}/schema`);
    if (!validate(body)) out.push(`${where}: the body does not match the document: ${this.ajv.errorsText(validate.errors)}; body ${r.body.slice(0, 300)}`);
    return out;
  }

  /** Throws when a response does not match the document. */
  check(r: ObservedResponse): void {
    const problems = this.problems(r);
    if (problems.length > 0) throw new Error(`response does not match /openapi.json:\n${problems.join('\n')}`);
  }

  private resolve(ref: string): Json {
    let node: unknown = this.doc;
    for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return node as Json;
  }

  private validator(ref: string): ValidateFunction {
    let v = this.validators.get(ref);
    if (!v) {
      v = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, v);
    }
    return v;
  }
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

const checkers = new WeakMap<FastifyInstance, ContractChecker>();

export function contractOf(app: FastifyInstance): ContractChecker {
  let c = checkers.get(app);
  if (!c) {
    c = new ContractChecker(buildOpenApi(app, 'test'));
    checkers.set(app, c);
  }
  return c;
}

/** Makes `app.inject` check every response against the app's own document. Returns the app. */
export function checkInjects(app: FastifyInstance): FastifyInstance {
  const inject = app.inject.bind(app) as (opts: InjectOptions | string) => Promise<LightMyRequestResponse>;
  const checked = async (opts: InjectOptions | string): Promise<LightMyRequestResponse> => {
    const res = await inject(opts);
    const o: InjectOptions = typeof opts === 'string' ? { url: opts } : opts;
    const url = typeof o.url === 'string' ? o.url : (o.path as string | undefined) ?? '/';
    contractOf(app).check({ method: o.method ?? 'GET', url, status: res.statusCode, headers: res.headers, body: res.body });
    return res;
  };
  (app as unknown as { inject: typeof checked }).inject = checked;
  // Built now, so a test's first request does not pay for it.
  contractOf(app);
  return app;
}

const byOrigin = new Map<string, Promise<ContractChecker>>();

/** Checks a fetch response (its body already read as text) against the document served at the same origin. */
export async function checkFetched(method: string, url: string, res: Response, body: string): Promise<void> {
  const origin = new URL(url).origin;
  let c = byOrigin.get(origin);
  if (!c) {
    c = fetch(`${origin}/openapi.json`).then(async (r) => new ContractChecker((await r.json()) as Json));
    byOrigin.set(origin, c);
    // A server killed while its document was being fetched (the fault suite) must not fail every later check of
    // the server restarted at the same origin: forget a failed fetch.
    c.catch(() => {
      if (byOrigin.get(origin) === c) byOrigin.delete(origin);
    });
  }
  (await c).check({ method, url, status: res.status, headers: Object.fromEntries(res.headers), body });
}

/** fetch, with the answer checked against the document served at the same origin. */
export async function fetchChecked(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, init);
  await checkFetched(init.method ?? 'GET', url, res, await res.clone().text());
  return res;
}
