// The admin console in the browser: asks for the admin key (kept in sessionStorage, for this tab only), checks it on
// an admin route, and shows one screen per area. Every request goes through the typed client, realmstate/client.
import { RealmstateClient, isApiError } from '../../client/index.js';
import type { Screen, ScreenContext } from './context.js';
import { describe, fill, h } from './ui.js';
import { overview } from './screens/overview.js';
import { players } from './screens/players.js';
import { leaderboards } from './screens/leaderboards.js';
import { config } from './screens/config.js';
import { shards } from './screens/shards.js';
import { matchmaking } from './screens/matchmaking.js';
import { economy } from './screens/economy.js';

const KEY = 'realmstate.adminKey';
const SCREENS: Screen[] = [overview, players, leaderboards, config, shards, matchmaking, economy];

function client(key: string): RealmstateClient {
  return new RealmstateClient({ baseUrl: location.origin, apiKey: key, timeoutMs: 15_000, retries: 1 });
}

/** Whether the key opens the console: only the admin key does (the game key is answered 403 on admin routes). */
async function checkKey(key: string): Promise<string | null> {
  try {
    await client(key).getConfigStatus();
    return null;
  } catch (err) {
    if (isApiError(err, 'permission_denied')) return 'This is the game-server key. The console needs the admin key (REALMSTATE_ADMIN_KEY, or "adminKey" in .realmstate/keys.json).';
    if (isApiError(err, 'unauthenticated')) return 'Wrong key: the server does not know it.';
    return `Cannot check the key: ${describe(err)}`;
  }
}

function login(root: HTMLElement, problem?: string): void {
  const input = h('input', { type: 'password', name: 'adminKey', placeholder: 'rs_admin_…', autocomplete: 'off', 'aria-label': 'Admin key' });
  const message = h('p', { class: 'error', role: 'alert', hidden: !problem }, problem ?? '');
  const button = h('button', { type: 'submit', class: 'primary' }, 'Open the console');
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const key = input.value.trim();
        if (!key) return;
        button.disabled = true;
        const bad = await checkKey(key);
        button.disabled = false;
        if (bad) {
          message.textContent = bad;
          message.hidden = false;
          return;
        }
        sessionStorage.setItem(KEY, key);
        start(root, key);
      },
    },
    h('h1', {}, 'Realmstate console'),
    h('p', {}, 'Paste the admin key the server printed on its first start. It is kept for this tab only.'),
    input,
    message,
    button,
  );
  fill(root, form);
  input.focus();
}

function start(root: HTMLElement, key: string): void {
  const api = client(key);
  const nav = h('nav', {});
  const main = h('main', {});
  const logout = h('button', { class: 'secondary small', onclick: () => { sessionStorage.removeItem(KEY); location.hash = ''; login(root); } }, 'Log out');
  fill(root, h('header', {}, h('span', { class: 'brand' }, 'Realmstate'), h('span', { class: 'where' }, location.host), logout), h('div', { class: 'layout' }, nav, main));
  let timers: number[] = [];
  let generation = 0;
  let shown: Screen | undefined;

  const show = () => {
    for (const t of timers) clearTimeout(t);
    timers = [];
    const mine = ++generation;
    const [name = 'overview', ...params] = location.hash.replace(/^#\/?/, '').split('/').map((p) => decodeURIComponent(p));
    const screen = SCREENS.find((s) => s.name === name) ?? overview;
    // An action's outcome stays while its screen redraws, not once the operator moves on.
    if (screen !== shown) for (const el of document.querySelectorAll('.toast')) el.remove();
    shown = screen;
    fill(nav, SCREENS.map((s) => h('a', { href: `#/${s.name}`, class: s === screen ? 'active' : undefined }, s.title)));
    document.title = `${screen.title} · Realmstate console`;
    const ctx: ScreenContext = {
      api,
      params,
      go: (hash) => {
        location.hash = hash;
      },
      every: (ms, fn) => {
        const run = async () => {
          if (mine !== generation) return;
          try {
            await fn();
            if (mine === generation) problem.hidden = true;
          } catch (err) {
            // An expired or revoked key sends the operator back to the login; anything else is said above the
            // screen, which keeps its last figures and tries again.
            if (isApiError(err, 'unauthenticated') || isApiError(err, 'permission_denied')) {
              sessionStorage.removeItem(KEY);
              login(root, 'The key is no longer accepted.');
              generation++;
              return;
            }
            if (mine === generation) {
              problem.textContent = `Refresh failed, retrying: ${describe(err)}`;
              problem.hidden = false;
            }
          }
          if (mine === generation) timers.push(window.setTimeout(run, ms));
        };
        void run();
      },
    };
    const problem = h('div', { class: 'error', role: 'alert', hidden: true, 'data-test': 'refresh-error' });
    fill(main, h('h2', {}, screen.title), problem);
    const body = h('div', { class: 'screen', 'data-screen': screen.name });
    main.appendChild(body);
    screen.render(body, ctx);
  };
  window.onhashchange = show;
  show();
}

const root = document.getElementById('app') as HTMLElement;
const saved = sessionStorage.getItem(KEY);
if (saved) {
  void checkKey(saved).then((bad) => (bad ? login(root, bad) : start(root, saved)));
} else {
  login(root);
}
