// The console's small render helper and its widgets: elements built with textContent only (player data is shown,
// never parsed as HTML), tables, badges, inline SVG sparklines and the confirmation dialog every admin action goes through.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** An element: `h('button', { class: 'primary', onclick: go }, 'Open')`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<Child | Child[]>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
    // Through the CSSOM: the page's Content-Security-Policy refuses style attributes.
    else if (name === 'style') el.style.cssText = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Array<Child | Child[]>): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's content. */
export function fill(el: Element, ...children: Array<Child | Child[]>): void {
  el.replaceChildren();
  append(el, children);
}

export function table(headers: string[], rows: Array<Array<Child | Child[]>>, attrs: Attrs = {}): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, 'Nothing to show.');
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((cell) => h('td', {}, cell))))),
  );
}

export function badge(text: string, tone: 'ok' | 'bad' | 'warn' | 'info'): HTMLElement {
  return h('span', { class: `badge ${tone}` }, text);
}

export function card(title: string, ...children: Array<Child | Child[]>): HTMLElement {
  return h('section', { class: 'card' }, h('h3', {}, title), ...children);
}

/** A figure with a label, optionally with a sparkline of its recent values under it. */
export function stat(label: string, value: string, history?: number[]): HTMLElement {
  return h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), history ? sparkline(history) : null);
}

const SVG = 'http://www.w3.org/2000/svg';

/** A small line chart of the values (oldest first), scaled to its own maximum. */
export function sparkline(values: number[], width = 220, height = 40): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  const top = Math.max(...values, 1e-9);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / top) * (height - 4)).toFixed(1)}`);
  if (points.length === 1) points.push(`${width},${points[0]?.split(',')[1] ?? height}`);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.appendChild(line);
  const title = document.createElementNS(SVG, 'title');
  title.textContent = `last ${values.length} samples, max ${fmt(top)}`;
  svg.appendChild(title);
  return svg;
}

/** A horizontal bar split into parts, each with its own colour (a shard's share of the slots, an experiment's split). */
export function shareBar(parts: Array<{ label: string; value: number }>): HTMLElement {
  const total = parts.reduce((s, p) => s + p.value, 0) || 1;
  return h(
    'div',
    { class: 'sharebar' },
    parts.map((p, i) =>
      h('div', { class: `part c${i % 8}`, style: `width: ${((p.value / total) * 100).toFixed(2)}%`, title: `${p.label}: ${p.value} (${pct(p.value / total)})` }, p.value / total > 0.08 ? p.label : ''),
    ),
  );
}

export function progress(done: number, total: number): HTMLElement {
  const ratio = total > 0 ? done / total : 0;
  return h('div', { class: 'progress', title: `${done}/${total}` }, h('div', { class: 'done', style: `width: ${(ratio * 100).toFixed(1)}%` }), h('span', {}, `${done}/${total} (${pct(ratio)})`));
}

export function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%`;
}

export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return `${d.toISOString().replace('T', ' ').slice(0, 19)}Z`;
}

export function json(value: unknown): HTMLElement {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

/** A text field with a button; Enter submits. */
export function searchBox(placeholder: string, button: string, onSubmit: (value: string) => void, value = '', name = ''): HTMLElement {
  const input = h('input', { type: 'text', placeholder, value, name, 'aria-label': placeholder });
  const submit = (e: Event) => {
    e.preventDefault();
    if (input.value.trim()) onSubmit(input.value.trim());
  };
  return h('form', { class: 'search', onsubmit: submit }, input, h('button', { type: 'submit' }, button));
}

export function errorBox(err: unknown): HTMLElement {
  return h('div', { class: 'error', role: 'alert' }, describe(err));
}

export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export interface ConfirmField {
  name: string;
  label: string;
  value?: string;
  type?: 'text' | 'number';
  required?: boolean;
}

/**
 * Asks before an admin action: says what will happen, collects the fields it needs (a reason, a seq), and resolves
 * with their values on Confirm, or null on Cancel.
 */
export function confirmAction(title: string, message: string, fields: ConfirmField[] = [], danger = true): Promise<Record<string, string> | null> {
  return new Promise((resolve) => {
    const inputs = fields.map((f) => h('input', { name: f.name, type: f.type ?? 'text', value: f.value ?? '', required: f.required ?? true, 'aria-label': f.label }));
    const dialog = h('dialog', { class: 'confirm' });
    const close = (result: Record<string, string> | null) => {
      dialog.close();
      dialog.remove();
      resolve(result);
    };
    const form = h(
      'form',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          close(Object.fromEntries(fields.map((f, i) => [f.name, (inputs[i] as HTMLInputElement).value.trim()])));
        },
      },
      h('h3', {}, title),
      h('p', {}, message),
      fields.map((f, i) => h('label', {}, f.label, inputs[i])),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => close(null) }, 'Cancel'), h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, 'Confirm')),
    );
    dialog.appendChild(form);
    dialog.addEventListener('cancel', () => close(null));
    document.body.appendChild(dialog);
    dialog.showModal();
    (inputs[0] ?? form.querySelector<HTMLButtonElement>('button[type=submit]'))?.focus();
  });
}

/** A short message at the bottom of the screen (the outcome of an action). */
export function toast(message: string, tone: 'ok' | 'bad' = 'ok'): void {
  const el = h('div', { class: `toast ${tone}`, role: 'status' }, message);
  document.body.appendChild(el);
  setTimeout(() => el.remove(), 5000);
}
