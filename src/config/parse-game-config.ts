// Turns the text of a game config file into a validated config, or into an error that names the file, the line
// and the field of every problem (the operator has to find it in a file that may be hundreds of lines long).
import { isMap, isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { RejectedError } from '../errors.js';
import { deepMerge } from './deep-merge.js';
import { gameConfigSchema, overridableSchema, type GameConfigData } from './game-config-schema.js';

/** One thing wrong with a config file. */
export interface ConfigProblem {
  /** 1-based line in the file, when the problem can be placed. */
  line?: number;
  /** The field, e.g. `limits.rateLimits.burst` or `experiments[0].variants[1].weight`; absent for a YAML syntax error. */
  field?: string;
  message: string;
}

/** A config file that cannot become live. 422 `rejected` when an admin reload meets it. */
export class GameConfigError extends RejectedError {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: ConfigProblem[]) {
    super(`invalid game config ${file}: ${problems.map(formatProblem).join('; ')}`);
    this.file = file;
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = [p.line === undefined ? undefined : `line ${p.line}`, p.field].filter((s) => s !== undefined).join(', ');
  return where ? `${where}: ${p.message}` : p.message;
}

const MAX_PROBLEMS = 10;

/** Parses and validates; throws GameConfigError. `file` only names the source in messages. */
export function parseGameConfig(text: string, file: string): GameConfigData {
  if (text.trim() === '') throw new GameConfigError(file, [{ line: 1, message: 'the file is empty' }]);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new GameConfigError(
      file,
      doc.errors.slice(0, MAX_PROBLEMS).map((e) => ({ line: e.linePos?.[0].line, message: (e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '') })),
    );
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) throw new GameConfigError(file, [{ line: 1, message: 'the file holds no settings' }]);

  const parsed = gameConfigSchema.safeParse(raw);
  if (!parsed.success) throw new GameConfigError(file, locate(parsed.error.issues, [], doc, lines));

  // Each variant's merged result must itself be a valid config: an override cannot smuggle in a bad limit.
  const problems: ConfigProblem[] = [];
  parsed.data.experiments.forEach((experiment, e) => {
    experiment.variants.forEach((variant, v) => {
      if (!variant.overrides) return;
      const base = { tuning: parsed.data.tuning, limits: parsed.data.limits };
      const merged = overridableSchema.safeParse(deepMerge(base, variant.overrides));
      if (!merged.success) problems.push(...locate(merged.error.issues, ['experiments', e, 'variants', v, 'overrides'], doc, lines));
    });
  });
  if (problems.length > 0) throw new GameConfigError(file, problems.slice(0, MAX_PROBLEMS));
  return parsed.data;
}

type Path = ReadonlyArray<PropertyKey>;

function locate(issues: readonly z.core.$ZodIssue[], prefix: Path, doc: Document, lines: LineCounter): ConfigProblem[] {
  return issues.slice(0, MAX_PROBLEMS).map((issue) => {
    let path: Path = [...prefix, ...issue.path];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = [...path, issue.keys[0] ?? ''];
      message = issue.keys.length > 1 ? `unknown fields ${issue.keys.join(', ')}` : 'unknown field';
    }
    const { line, exact } = lineOf(doc, path, lines);
    // Whatever zod says about a value that is not there (wrong type, not one of the options), the fix is to add it.
    if (!exact && issue.code !== 'custom') message = 'required';
    return { line, field: formatPath(path), message };
  });
}

/** The line of the deepest node of `path` present in the document; `exact` says whether the node itself exists. */
function lineOf(doc: Document, path: Path, lines: LineCounter): { line: number | undefined; exact: boolean } {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) {
      // For an unknown key the key itself is the better place than its value.
      const keyNode = n === path.length && n > 0 ? keyOf(doc, path) : undefined;
      const offset = keyNode?.range?.[0] ?? node.range[0];
      return { line: lines.linePos(offset).line, exact: n === path.length };
    }
  }
  return { line: undefined, exact: false };
}

function keyOf(doc: Document, path: Path) {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1) as unknown[], true);
  if (!isMap(parent)) return undefined;
  const last = path[path.length - 1];
  const pair = parent.items.find((p) => isNode(p.key) && 'value' in p.key && p.key.value === last);
  return pair && isNode(pair.key) ? pair.key : undefined;
}

/** `experiments[0].variants[1].weight` */
export function formatPath(path: Path): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}
