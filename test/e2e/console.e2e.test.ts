// The admin console in a real browser: Debian's Chromium driven by playwright-core, against a server with data
// (embedded, two shards, a game config file). Logs in (a wrong key and the game key are refused), steps through a
// player's timeline, reads a board, watches a config reload appear, acts on a flag, and visits every screen. A
// screenshot of each screen is written to test/artifacts/ on every run.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealmstateClient } from '../../src/client/index.js';
import { ADMIN_KEY, API_KEY, startTestRealm, type TestRealm } from '../helpers/realm.js';

/** Waits for the page to show something: generous, since the machine running the suite may be busy. */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 });

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
// Chromium's background connections are refused on a closed network; these flags keep it from trying.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export const CONSOLE_TEST_CONFIG = (version: number, xpPerKill: number) => `version: ${version}
tuning:
  xpPerKill: ${xpPerKill}
limits:
  rateLimits: { perKeyPerSecond: 1000000000, perPlayerPerSecond: 1000000000, burst: 0 }
leaderboards:
  - { id: arena, order: desc, operator: best, reset: weekly, regions: [eu, na] }
  - { id: xp, order: desc, operator: set, stat: xp }
experiments:
  - name: xp-boost
    variants:
      - { name: control, weight: 70 }
      - { name: boosted, weight: 30, overrides: { tuning: { xpPerKill: ${xpPerKill + 5} } } }
matchmaking:
  queues:
    - name: duel
      teams: 2
      teamSize: 1
      regions: [eu, na]
      skill: [{ afterSeconds: 0, maxSpread: 5 }]
      latency: [{ afterSeconds: 0, maxMs: 100 }]
anticheat:
  rules:
    - { name: arena-cap, kind: scoreMax, board: arena, max: 100000, action: quarantine }
`;

// Skipped only on a machine without Chromium outside CI; CI installs it (.ci/run), so there a missing browser fails.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('console in a browser', () => {
  let t: TestRealm;
  let dir: string;
  let configFile: string;
  let base: string;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  const admin = () => new RealmstateClient({ baseUrl: base, apiKey: ADMIN_KEY });
  const shot = async (name: string) => {
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`) });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'realmstate-console-'));
    configFile = join(dir, 'game.yaml');
    writeFileSync(configFile, CONSOLE_TEST_CONFIG(1, 10));
    t = await startTestRealm('pglite', { shards: 2, env: { REALMSTATE_CONFIG: configFile } });
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    await seed(admin());
    // The players rows are written behind: flushed now, so the overview's player counts include the seed.
    await t.realm.players.flush();
    mkdirSync(ARTIFACTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'realmstate-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 }, timeout: 30_000,
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong key and the game key, and opens with the admin key', async () => {
    await page.goto(`${base}/console`);
    const key = page.getByLabel('Admin key');
    await key.fill('rs_admin_not-the-key-at-all');
    await page.getByRole('button', { name: 'Open the console' }).click();
    await poll(() => page.getByRole('alert').textContent()).toContain('Wrong key');
    await key.fill(API_KEY);
    await page.getByRole('button', { name: 'Open the console' }).click();
    await poll(() => page.getByRole('alert').textContent()).toContain('game-server key');
    expect(await page.evaluate("sessionStorage.getItem('realmstate.adminKey')")).toBeNull();
    await shot('login');
    await key.fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.locator('[data-test=backends]').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('realmstate.adminKey')")).toBe(ADMIN_KEY);
    // The overview is live: a few refreshes draw the charts.
    await poll(() => page.locator('svg.spark polyline').first().getAttribute('points')).toMatch(/ .* /);
    const overview = await page.locator('main').textContent();
    expect(overview).toContain('requests/s');
    expect(overview).toContain('write-behind pending');
    expect(overview).toContain('epoch');
    expect(await page.locator('[data-test=backends]').textContent()).toContain('up');
    // aria, bram and cara have logs (dain and cheater only scores), spread over the two shards.
    const players = await page.locator('[data-test=overview-shards] tbody tr td:nth-child(3)').allTextContents();
    expect(players.map(Number).reduce((a, b) => a + b, 0)).toBe(3);
    await shot('overview');
    // A reload keeps the key for the tab.
    await page.reload();
    await page.locator('[data-test=backends]').waitFor();
  });

  it('finds a player and steps through its timeline and its state at any seq', async () => {
    await page.getByRole('link', { name: 'Players' }).click();
    await page.getByLabel('Player id').fill('aria');
    await page.getByRole('button', { name: 'Find' }).click();
    const pageLabel = page.locator('[data-test=page]');
    await poll(() => pageLabel.textContent()).toBe('events 1–12');
    await page.getByRole('button', { name: 'Next →' }).click();
    await poll(() => pageLabel.textContent()).toBe('events 13–24');
    await page.getByRole('button', { name: '← Previous' }).click();
    await poll(() => pageLabel.textContent()).toBe('events 1–12');
    // aria's first 30 events each add 10 xp (then a sword, a region and a trade's hold and settle): the state at seq N has N × 10.
    const at = page.locator('[data-test=state-at]');
    await poll(() => at.locator('pre').textContent()).toContain('"seq": 34');
    await page.getByLabel('seq', { exact: true }).fill('7');
    await poll(() => at.locator('pre').textContent()).toContain('"xp": 70');
    await page.getByRole('button', { name: 'previous seq' }).click();
    await poll(() => page.locator('[data-test=seq-label]').textContent()).toBe('6');
    await poll(() => at.locator('pre').textContent()).toContain('"xp": 60');
    await page.getByRole('button', { name: 'Next →' }).click();
    await poll(() => pageLabel.textContent()).toBe('events 13–24');
    await page.locator('[data-test=timeline] tr', { hasText: 'stat.add' }).nth(2).getByRole('button', { name: 'state here' }).click();
    await poll(() => page.locator('[data-test=seq-label]').textContent()).toBe('15');
    await poll(() => at.locator('pre').textContent()).toContain('"xp": 150');
    await page.getByRole('button', { name: 'Next →' }).click();
    await poll(() => pageLabel.textContent()).toBe('events 25–34');
    expect(await page.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
    expect(await page.locator('[data-test=timeline]').textContent()).toContain('trade.settle');
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByRole('button', { name: '← Previous' }).click();
    await poll(() => pageLabel.textContent()).toBe('events 1–12');
    await page.getByLabel('seq', { exact: true }).fill('10');
    await poll(() => at.locator('pre').textContent()).toContain('"xp": 100');
    await shot('players');
  });

  it('reads a board: its top, a region, around a player, and a past season', async () => {
    await page.getByRole('link', { name: 'Leaderboards' }).click();
    await page.locator('[data-test=boards]').getByRole('link', { name: 'arena' }).click();
    const entries = page.locator('[data-test=board-entries]');
    await poll(() => entries.locator('tbody tr').count()).toBe(4);
    const rows = await entries.locator('tbody tr').allTextContents();
    expect(rows[0]).toMatch(/^1bram1,?200$/);
    expect(rows[3]).toMatch(/^4dain700$/);
    await page.getByLabel('region').selectOption('na');
    await page.getByRole('button', { name: 'Show top' }).click();
    await poll(() => entries.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('region').selectOption('');
    await page.getByLabel('around player').fill('aria');
    await page.getByRole('button', { name: 'Show around' }).click();
    await poll(() => entries.locator('a.mark').textContent()).toBe('aria');
    await page.getByRole('button', { name: '◀ previous season' }).click();
    await poll(() => entries.textContent()).toContain('Nothing to show');
    await page.getByRole('button', { name: 'current' }).click();
    await poll(() => entries.locator('tbody tr').count()).toBe(4);
    await shot('leaderboards');
  });

  it('shows a config reload by itself, and a refused file with its error', async () => {
    await page.getByRole('link', { name: 'Config' }).click();
    const status = page.locator('[data-test=config-status]');
    await poll(() => status.textContent()).toContain('version1');
    await page.getByLabel('Player id').fill('p1');
    await page.getByRole('button', { name: 'Show variants' }).click();
    await poll(() => page.locator('[data-test=variants]').textContent()).toMatch(/xp-boost(control|boosted)/);
    writeFileSync(configFile, CONSOLE_TEST_CONFIG(2, 12));
    await poll(() => status.textContent()).toContain('version2');
    await poll(() => page.locator('main').textContent()).toContain('"xpPerKill": 12');
    writeFileSync(configFile, 'version: 3\nleaderboards: [{ id: arena, order: sideways }]\n');
    await poll(() => page.locator('[data-test=last-error]').textContent()).toContain('Refused');
    expect(await status.textContent()).toContain('version2');
    await shot('config');
    writeFileSync(configFile, CONSOLE_TEST_CONFIG(4, 12));
    await poll(() => status.textContent()).toContain('no error');
  });

  it('shows the slot map and asks before a drain (Cancel changes nothing)', async () => {
    await page.getByRole('link', { name: 'Shards' }).click();
    const table = page.locator('[data-test=shards]');
    await poll(() => table.locator('tbody tr').count()).toBe(2);
    expect(await table.textContent()).toContain('2,048');
    await table.getByRole('button', { name: 'Drain…' }).first().click();
    const dialog = page.getByRole('dialog');
    await poll(() => dialog.textContent()).toContain('Move all 2048 slots off shard');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await poll(() => dialog.count()).toBe(0);
    expect((await admin().getShards()).move).toBeNull();
    await page.getByRole('button', { name: 'Rebalance…' }).click();
    await poll(() => page.getByRole('status').first().textContent()).toContain('Already even');
    await shot('shards');
  });

  it('shows the queues, a searching ticket and the recent match with its quality', async () => {
    await page.getByRole('link', { name: 'Matchmaking' }).click();
    await poll(() => page.locator('[data-test=queues]').textContent()).toContain('duel');
    await poll(() => page.locator('[data-test=matches] tbody tr').count()).toBe(1);
    expect(await page.locator('[data-test=matches]').textContent()).toContain('aria vs bram');
    expect(await page.locator('main').textContent()).toContain('cara');
    await shot('matchmaking');
  });

  it('shows the books, a trade timeline, and clears a flag after confirmation', async () => {
    await page.getByRole('link', { name: 'Economy & anti-cheat' }).click();
    await poll(() => page.locator('[data-test=books]').textContent()).toContain('sword');
    expect(await page.locator('main').textContent()).toContain('every book balances');
    await page.getByLabel('Trade id').fill('aria-bram-1');
    await page.getByRole('button', { name: 'Show trade' }).click();
    const timeline = page.locator('[data-test=trade-timeline]');
    await poll(() => timeline.textContent()).toContain('trade.settle');
    expect(await timeline.textContent()).toContain('trade.hold');
    const flags = page.locator('[data-test=flags]');
    await poll(() => flags.textContent()).toContain('cheater');
    await shot('economy');
    await flags.getByRole('button', { name: 'Clear…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await poll(() => page.locator('main').textContent()).toContain('Nothing to show');
    expect((await admin().listFlags({ status: 'cleared' })).flags.map((f) => f.playerId)).toEqual(['cheater']);
    await poll(() => page.locator('[data-test=audit]').textContent()).toContain('anticheat.clear');
  });

  it('rolls a player back only after a confirmation that asks for a reason', async () => {
    await page.goto(`${base}/console#/players/bram`);
    await poll(() => page.locator('[data-test=seq-label]').textContent()).toBe('4');
    await page.getByLabel('seq', { exact: true }).fill('2');
    await poll(() => page.locator('[data-test=state-at] pre').textContent()).toContain('"seq": 2');
    await page.getByRole('button', { name: "Roll back to the slider's seq…" }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain("bram's state equal to its state at seq 2");
    // The reason is required: Confirm without one sends nothing.
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    expect(await dialog.isVisible()).toBe(true);
    expect((await admin().getPlayer('bram')).seq).toBe(4);
    await dialog.getByLabel('Reason').fill('undo the trade');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await poll(() => page.getByRole('status').first().textContent()).toContain('bram rolled back to seq 2');
    await poll(() => page.locator('main h3').first().textContent()).toBe('bram · seq 5');
    const bram = await admin().getPlayer('bram', { consistency: 'strong' });
    expect([bram.seq, bram.stats, bram.items]).toEqual([5, { gold: 500, xp: 40 }, {}]);
    expect((await admin().listAudit({ limit: 5 })).entries.map((e) => e.action)).toContain('players.rollback');
  });
});

/** A small world: players with logs, board scores, a trade, a match and a searching ticket, a flag. */
async function seed(api: RealmstateClient): Promise<void> {
  await api.appendEvents('aria', { events: Array.from({ length: 30 }, () => ({ type: 'stat.add', data: { stat: 'xp', amount: 10 } })) });
  await api.appendEvents('aria', { events: [{ type: 'item.grant', data: { item: 'sword', qty: 2 } }, { type: 'data.set', data: { key: 'region', value: 'eu' } }] });
  await api.appendEvents('bram', { events: [{ type: 'stat.add', data: { stat: 'gold', amount: 500 } }, { type: 'stat.add', data: { stat: 'xp', amount: 40 } }] });
  await api.appendEvents('cara', { events: [{ type: 'stat.add', data: { stat: 'xp', amount: 5 } }] });
  for (const [playerId, score, region] of [['bram', 1200, 'eu'], ['aria', 950, 'eu'], ['cara', 800, 'eu'], ['dain', 700, 'na']] as const) {
    await api.submitScore('arena', { playerId, score, region });
  }
  await api.submitScore('arena', { playerId: 'cheater', score: 999_999, region: 'eu' });
  await api.createTrade({ tradeId: 'aria-bram-1', a: { playerId: 'aria', gives: { items: { sword: 1 } } }, b: { playerId: 'bram', gives: { stats: { gold: 50 } } } });
  const a = await api.createTicket({ queue: 'duel', players: [{ playerId: 'aria', latencies: { eu: 30 } }] });
  await api.createTicket({ queue: 'duel', players: [{ playerId: 'bram', latencies: { eu: 40 } }] });
  const matched = await api.getTicket(a.ticketId, { waitSeconds: 10 });
  if (matched.status !== 'matched') throw new Error(`the seed match did not happen: ${JSON.stringify(matched)}`);
  await api.createTicket({ queue: 'duel', players: [{ playerId: 'cara', latencies: { na: 25 } }] });
}
