/**
 * The web console end to end: the built CLI serves it, headless Chromium (Debian's, driven by
 * playwright-core) opens it as three users — the demo app's master user demo-0, demo-1 and demo-2 —
 * who exchange FAST and RELIABLE messages, see accepted and confirmed markers and presence events,
 * watch the stats move, and (once the server API of issue 15 exists) look a user up and disconnect
 * it. The pages must log no error and request nothing outside the server.
 * UPDATE_SCREENSHOTS=1 also writes docs/screenshots/*.png (desktop and 375 px of each view).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAppSchema } from '../../src/config/options.js';
import { createConsoleRoutes } from '../../src/gateway/console-routes.js';
import { killAll, startCli, type CliProcess } from '../support/cli.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)) : undefined;
const API_KEY = 'console-e2e-api-key-0123456789';
/** expect.poll with room for a busy machine. */
const poll = <T>(read: () => T | Promise<T>, timeoutMs = 10_000) => expect.poll(read, { timeout: timeoutMs, interval: 50 });
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };

if (!hasChromium) {
  const why = `console e2e: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(why);
  console.warn(`SKIPPED ${why}`);
}

/** One browser context as one user: its page, and what it logged or requested. */
interface UserPage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly errors: string[];
  readonly urls: string[];
}

/**
 * Screenshots only: two more users exchange FAST and RELIABLE messages for `seconds`, so that the
 * Watch view has rates and a latency line to show.
 */
async function traffic(wsUrl: string, seconds: number): Promise<void> {
  const open = (userId: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(wsUrl);
      ws.once('error', reject);
      ws.once('open', () => {
        ws.send(JSON.stringify({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId, token: '' } }));
        ws.once('message', () => resolve(ws));
      });
    });
  const [a, b] = await Promise.all([open('demo-7'), open('demo-8')]);
  const until = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < until; i++) {
    a.send(JSON.stringify({ type: 'MESSAGE', data: { to: 'demo-8', content: `m${i}` }, feature: i % 3 === 0 ? 'RELIABLE' : 'FAST', reference: `t${i}` }));
    b.send(JSON.stringify({ type: 'MESSAGE', data: { to: 'demo-7', content: `m${i}` }, feature: 'FAST' }));
    await new Promise((r) => setTimeout(r, 20));
  }
  a.close();
  b.close();
}

describe.skipIf(!hasChromium)('web console', () => {
  let cli: CliProcess;
  let browser: Browser;
  let dataDir: string;
  const users: UserPage[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sb-console-'));
    // The server API (contract §8) needs an apiKey on the app; give one when this build's schema takes it.
    const demo = { appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: false };
    const withKey = { ...demo, apiKey: API_KEY };
    const apps = clientAppSchema.safeParse(withKey).success ? [withKey] : [demo];
    cli = await startCli(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--client-apps', JSON.stringify(apps)]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    for (const u of users) await u.context.close();
    await browser?.close();
    await killAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function openAs(userId: string): Promise<UserPage> {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const u: UserPage = { context, page, errors: [], urls: [] };
    page.on('console', (m) => {
      if (m.type() === 'error') u.errors.push(m.text());
    });
    page.on('pageerror', (e) => u.errors.push(e.message));
    context.on('request', (r) => u.urls.push(r.url()));
    page.on('websocket', (ws) => u.urls.push(ws.url()));
    users.push(u);
    await page.goto(`${cli.httpUrl}/`);
    expect(new URL(page.url()).pathname).toBe('/console');
    await page.locator('#view-try').getByLabel('User id', { exact: true }).fill(userId);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await poll(() => page.locator('#conn-status').textContent()).toBe(`Connected as ${userId}.`);
    return u;
  }

  async function send(u: UserPage, to: string, content: string, feature: 'FAST' | 'RELIABLE'): Promise<void> {
    const form = u.page.locator('#send-form');
    await form.getByLabel('To (user id)').fill(to);
    await form.getByLabel('Content', { exact: true }).fill(content);
    await form.getByLabel('Feature', { exact: true }).selectOption(feature);
    await u.page.getByRole('button', { name: 'Send MESSAGE' }).click();
  }

  const sentItem = (u: UserPage, content: string) => u.page.locator('#sent li', { hasText: content });
  const receivedText = (u: UserPage) => u.page.locator('#received').textContent();
  const eventsText = (u: UserPage) => u.page.locator('#events').textContent();

  async function view(u: UserPage, name: 'try' | 'watch' | 'operate'): Promise<void> {
    await u.page.getByRole('link', { name: name === 'try' ? 'Try it' : name === 'watch' ? 'Watch it' : 'Operate it' }).click();
    await poll(() => u.page.locator(`[data-view="${name}"]`).isVisible()).toBe(true);
  }

  async function screenshot(u: UserPage, name: string): Promise<void> {
    if (SCREENSHOTS === undefined) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await u.page.setViewportSize(DESKTOP);
    await u.page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
    await u.page.setViewportSize(PHONE);
    await u.page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
    await u.page.setViewportSize(DESKTOP);
  }

  it('serves the page with a strict CSP and redirects / to it', async () => {
    const page = await fetch(`${cli.httpUrl}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    const script = await fetch(`${cli.httpUrl}/console/console.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const again = await fetch(`${cli.httpUrl}/console/console.js`, { headers: { 'if-none-match': script.headers.get('etag')! } });
    expect(again.status).toBe(304);
    const root = await fetch(`${cli.httpUrl}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console');
    expect((await fetch(`${cli.httpUrl}/console/../package.json`)).status).toBe(404);
  });

  it('lets users talk, marks accepted and confirmed, shows presence, stats, fetch and (issue 15) operate', async () => {
    const master = await openAs('demo-0');
    const alice = await openAs('demo-1');
    const bob = await openAs('demo-2');

    // The master user's page shows both users arriving.
    await poll(() => eventsText(master)).toMatch(/USER_CONNECTED\s*demo-1/);
    await poll(() => eventsText(master)).toMatch(/USER_CONNECTED\s*demo-2/);

    // FAST and RELIABLE from alice to bob: delivered, accepted, confirmed.
    await send(alice, 'demo-2', 'hi bob, fast', 'FAST');
    await poll(() => receivedText(bob)).toContain('hi bob, fast');
    await send(alice, 'demo-2', 'hi bob, reliable', 'RELIABLE');
    await poll(() => receivedText(bob)).toContain('hi bob, reliable');
    for (const content of ['hi bob, fast', 'hi bob, reliable']) {
      await poll(() => sentItem(alice, content).locator('.badge.accepted').count()).toBe(1);
      await poll(() => sentItem(alice, content).locator('.badge.confirmed').count()).toBe(1);
    }
    // And back.
    await send(bob, 'demo-1', 'hi alice', 'RELIABLE');
    await poll(() => receivedText(alice)).toContain('hi alice');
    await poll(() => sentItem(bob, 'hi alice').locator('.badge.confirmed').count()).toBe(1);
    // The frame log lists the frames with their types, both ways.
    for (const type of ['AUTH_CLIENT', 'MESSAGE', 'MESSAGE_ACCEPTED', 'MESSAGE_CONFIRMATION']) {
      expect(await alice.page.locator(`#frames li[data-type="${type}"]`).count(), type).toBeGreaterThan(0);
    }
    expect(await alice.page.locator('#frames li[data-direction="out"][data-type="MESSAGE"]').count()).toBe(2);
    await screenshot(alice, 'try');

    // A group message reaches both recipients.
    const group = alice.page.locator('#group-form');
    await group.getByLabel('To (user ids, comma-separated)').fill('demo-0, demo-2');
    await group.getByLabel('Content').fill('hello both');
    await group.getByRole('button', { name: 'Send GROUP_MESSAGE' }).click();
    await poll(() => receivedText(bob)).toContain('hello both');
    await poll(() => receivedText(master)).toContain('hello both');
    // SUBSCRIBE and COMMAND go out as raw frames on the same socket; whatever this build answers
    // (SUBSCRIBED, COMMAND_REPLY, or ERROR for a frame it does not know yet) comes back and is listed.
    await alice.page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await alice.page.locator('#command-name').fill('ping');
    await alice.page.getByRole('button', { name: 'Send COMMAND' }).click();
    await poll(() => alice.page.locator('#frames li[data-direction="out"][data-type="SUBSCRIBE"]').count()).toBe(1);
    await poll(() => alice.page.locator('#frames li[data-direction="out"][data-type="COMMAND"]').count()).toBe(1);
    await poll(() => alice.page.locator('#events li').count()).toBeGreaterThanOrEqual(2);
    const subscribed = await alice.page.locator('#frames li[data-direction="in"][data-type="SUBSCRIBED"]').count();
    if (subscribed > 0) expect(await alice.page.locator('#topics').textContent()).toContain('news/today');

    // Watch it: the counts show the three users, and move when one leaves.
    await view(master, 'watch');
    await poll(() => master.page.locator('#stat-connections').textContent(), 10_000).toBe('3');
    expect(await master.page.locator('#stat-users').textContent()).toBe('3');
    await poll(() => master.page.locator('#by-type').textContent(), 15_000).toContain('MESSAGE/RELIABLE');
    expect(await master.page.locator('#backends').textContent()).toContain('ready');
    expect(await master.page.locator('#chart canvas').count()).toBeGreaterThan(0);
    await bob.page.getByRole('button', { name: 'Disconnect' }).click();
    await poll(() => master.page.locator('#stat-connections').textContent(), 10_000).toBe('2');
    await view(master, 'try');
    await poll(() => eventsText(master)).toMatch(/USER_DISCONNECTED\s*demo-2/);

    // RELIABLE to bob while he is away: accepted now, fetched when he is back, then confirmed.
    await send(alice, 'demo-2', 'while you were out', 'RELIABLE');
    await poll(() => sentItem(alice, 'while you were out').locator('.badge.accepted').count()).toBe(1);
    expect(await sentItem(alice, 'while you were out').locator('.badge.confirmed').count()).toBe(0);
    await bob.page.getByRole('button', { name: 'Connect', exact: true }).click();
    await poll(() => bob.page.locator('#conn-status').textContent()).toBe('Connected as demo-2.');
    await bob.page.getByRole('button', { name: 'Fetch' }).click();
    await poll(() => bob.page.locator('#received li', { hasText: 'while you were out' }).locator('.badge', { hasText: 'fetched' }).count()).toBe(1);
    await poll(() => sentItem(alice, 'while you were out').locator('.badge.confirmed').count()).toBe(1);

    await view(master, 'watch');
    await poll(() => master.page.locator('#stat-connections').textContent(), 10_000).toBe('3');
    await poll(() => master.page.locator('#stat-p99').textContent(), 10_000).toMatch(/ms$/);
    if (SCREENSHOTS !== undefined) await traffic(cli.wsUrl, 20);
    await screenshot(master, 'watch');

    // Operate it: needs the server API (contract §8).
    await view(master, 'operate');
    const probe = await fetch(`${cli.httpUrl}/api/users/demo-1`, { headers: { authorization: `Bearer ${API_KEY}` } });
    if (probe.status === 404) {
      console.warn('SKIPPED console operate steps: GET /api/users/ID answers 404 — TODO(issue 15): the server API is not in this build yet');
      // (Not clicked here: the browser would log the 404 as an error.)
      await master.page.getByLabel(/apiKey/).fill(API_KEY);
    } else {
      await master.page.getByLabel(/apiKey/).fill(API_KEY);
      await master.page.locator('#lookup-user').fill('demo-1');
      await master.page.getByRole('button', { name: 'Look up' }).click();
      await poll(() => master.page.locator('#operate-result [data-field="online"]').textContent()).toBe('yes');
      expect(await master.page.locator('#operate-result [data-field="connections"]').textContent()).toBe('1');
      await master.page.locator('#kick-user').fill('demo-1');
      await master.page.getByRole('button', { name: 'Disconnect', exact: true }).click();
      await poll(() => master.page.locator('#operate-result [data-field="closed"]').textContent()).toContain('Closed 1');
      await poll(() => alice.page.locator('#conn-status').textContent()).toContain('4000');
      await master.page.getByRole('button', { name: 'Look up' }).click();
      await poll(() => master.page.locator('#operate-result [data-field="online"]').textContent()).toBe('no');
    }
    await screenshot(master, 'operate');

    // Keyboard: on a fresh load the skip link comes first; the views are reachable and switch with Enter.
    await master.page.reload();
    await master.page.keyboard.press('Tab');
    expect(await master.page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    // Following it keeps the view (the operate view, from the URL) and moves on into the page.
    await master.page.keyboard.press('Enter');
    expect(await master.page.locator('[data-view="operate"]').isVisible()).toBe(true);
    await master.page.getByRole('link', { name: 'Try it' }).focus();
    await master.page.keyboard.press('Enter');
    await poll(() => master.page.locator('[data-view="try"]').isVisible()).toBe(true);

    // Phone width: no view scrolls sideways.
    await master.page.setViewportSize(PHONE);
    for (const name of ['try', 'watch', 'operate'] as const) {
      await view(master, name);
      expect(await master.page.evaluate<number>('document.documentElement.scrollWidth'), name).toBeLessThanOrEqual(PHONE.width);
    }

    // Nothing logged as an error, nothing requested outside the server.
    const origin = new URL(cli.httpUrl);
    for (const u of users) {
      expect(u.errors).toEqual([]);
      for (const url of u.urls) expect(new URL(url).host, url).toBe(origin.host);
      expect(u.urls.some((url) => url.startsWith('ws:'))).toBe(true);
    }
  });

  it('operate view: speaks the server API of contract §8 exactly (scripted API)', async () => {
    // The real API comes with issue 15; until then (and after) this pins what the page sends and
    // how it shows the answers, against a scripted server that answers as the contract says.
    const seen: { method: string; url: string; auth: string | undefined; body: unknown }[] = [];
    const routes = createConsoleRoutes({ stats: { snapshot: () => Promise.reject(new Error('unused')), stop: () => undefined }, assetsDir: fileURLToPath(new URL('../../dist/console/', import.meta.url)) });
    const reply = (res: ServerResponse, status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (routes(req, res, path)) return;
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: text === '' ? undefined : JSON.parse(text) });
        if (req.headers.authorization !== `Bearer ${API_KEY}`) return reply(res, 401, { error: { code: 'UNAUTHORIZED', message: 'wrong api key' } });
        if (req.method === 'GET' && path === '/api/users/demo-5') return reply(res, 200, { userId: 'demo-5', online: true, connections: 2 });
        if (req.method === 'POST' && path === '/api/disconnect') return reply(res, 200, { closed: 2 });
        if (req.method === 'POST' && path === '/api/publish') return reply(res, 200, { ok: true });
        reply(res, 404, { status: 'not found' });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const context = await browser.newContext({ viewport: PHONE });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${base}/console#operate`);
      const result = page.locator('#operate-result');
      // No key typed: nothing is sent.
      await page.getByRole('button', { name: 'Look up' }).click();
      expect(await result.textContent()).toContain('API key first');
      expect(seen).toHaveLength(0);
      await page.getByLabel(/apiKey/).fill('not-the-key');
      await page.locator('#lookup-user').fill('demo-5');
      await page.getByRole('button', { name: 'Look up' }).click();
      await poll(() => result.textContent()).toContain('HTTP 401 — UNAUTHORIZED wrong api key');
      await page.getByLabel(/apiKey/).fill(API_KEY);
      await page.getByRole('button', { name: 'Look up' }).click();
      await poll(() => result.locator('[data-field="online"]').textContent()).toBe('yes');
      expect(await result.locator('[data-field="connections"]').textContent()).toBe('2');
      await page.locator('#kick-user').fill('demo-5');
      await page.getByRole('button', { name: 'Disconnect' }).click();
      await poll(() => result.locator('[data-field="closed"]').textContent()).toBe('Closed 2 connection(s).');
      await page.getByRole('button', { name: 'Publish' }).click();
      await poll(() => result.textContent()).toContain('Published.');
      expect(seen.map(({ method, url, auth, body }) => ({ method, url, auth, body }))).toEqual([
        { method: 'GET', url: '/api/users/demo-5', auth: 'Bearer not-the-key', body: undefined },
        { method: 'GET', url: '/api/users/demo-5', auth: `Bearer ${API_KEY}`, body: undefined },
        { method: 'POST', url: '/api/disconnect', auth: `Bearer ${API_KEY}`, body: { userId: 'demo-5' } },
        { method: 'POST', url: '/api/publish', auth: `Bearer ${API_KEY}`, body: { topic: 'news/today', data: { headline: 'hello' } } },
      ]);
      // The browser logs the 401 it was given; nothing else.
      expect(errors).toEqual([expect.stringContaining('401')]);
    } finally {
      await context.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
