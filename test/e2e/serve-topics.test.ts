// Topics, the server API and the SSE bridge through the real CLI (one node, the embedded default).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { killAll, startCli, type CliProcess } from '../support/cli.js';
import { startSseUpstream, type SseUpstream } from '../support/sse-upstream.js';
import { TestClient } from '../support/test-client.js';
import { API_KEY, OTHER_KEY, api, topicApps } from '../support/topics-config.js';

const dirs: string[] = [];
const clients: TestClient[] = [];
let upstream: SseUpstream | undefined;

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await killAll();
  await upstream?.close();
  upstream = undefined;
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serve(sseBase: string, dataDir?: string, extra: string[] = []): Promise<{ s: CliProcess; dir: string }> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'sb-topics-'));
  if (dataDir === undefined) dirs.push(dir);
  writeFileSync(join(dir, 'config.yaml'), stringify({ clientApps: topicApps(sseBase) }));
  const s = await startCli(['serve', '--port', '0', '--data-dir', dir, '--config', join(dir, 'config.yaml'), ...extra]);
  return { s, dir };
}

async function client(s: CliProcess, userId: string, appId = 'app-alpha'): Promise<TestClient> {
  const c = await TestClient.connect(s.wsUrl);
  clients.push(c);
  expect((await c.auth(userId, appId)).data.isAuthenticated).toBe(true);
  return c;
}

async function subscribe(c: TestClient, topic: string): Promise<string> {
  c.send({ type: 'SUBSCRIBE', data: { topic } });
  const f = await c.next((x) => x.type === 'SUBSCRIBED' || x.type === 'ERROR');
  return f.type === 'SUBSCRIBED' ? 'SUBSCRIBED' : f.data.code;
}

describe('serve: topics and the server API', () => {
  it('subscribes allowed topics, refuses others, and publishes to exactly the app\'s subscribers', async () => {
    const { s } = await serve('http://127.0.0.1:9/events');
    const [a1, a2, a3, b1] = [await client(s, 'alpha-1'), await client(s, 'alpha-2'), await client(s, 'alpha-3'), await client(s, 'beta-1', 'app-beta')];
    expect(await subscribe(a1, 'news/today')).toBe('SUBSCRIBED');
    expect(await subscribe(a2, 'news/today')).toBe('SUBSCRIBED');
    expect(await subscribe(a3, 'news/today')).toBe('SUBSCRIBED');
    expect(await subscribe(b1, 'news/today')).toBe('SUBSCRIBED');
    expect(await subscribe(a1, 'secret/1')).toBe('FORBIDDEN');
    a3.send({ type: 'UNSUBSCRIBE', data: { topic: 'news/today' } });
    await a3.next('UNSUBSCRIBED');
    expect((await api(s.httpUrl, '/api/publish', { key: API_KEY, body: { topic: 'news/today', data: { v: 1 } } })).body).toEqual({ ok: true });
    for (const c of [a1, a2]) expect((await c.next('PUBLICATION')).data).toEqual({ topic: 'news/today', data: { v: 1 } });
    expect(await a3.none('PUBLICATION', 300)).toBe(true);
    expect(await b1.none('PUBLICATION', 50)).toBe(true);
    expect((await api(s.httpUrl, '/api/publish', { key: OTHER_KEY, body: { topic: 'news/today', data: 'b' } })).status).toBe(200);
    expect((await b1.next('PUBLICATION')).data.data).toBe('b');
    expect(await a1.none('PUBLICATION', 200)).toBe(true);
    const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
    for (const name of ['switchboard_topics', 'switchboard_topic_subscriptions', 'switchboard_publications_in_total', 'switchboard_publications_out_total', 'switchboard_upstream_streams', 'switchboard_upstream_reconnects_total']) expect(metrics).toContain(name);
    expect(metrics).toMatch(/switchboard_publications_out_total 3/);
    console.log('publish counts: sent 2, received 3 (2 alpha + 1 beta), lost 0, duplicated 0');
  });

  it('answers 401, 400 and 413 as the contract says', async () => {
    const { s } = await serve('http://127.0.0.1:9/events', undefined, ['--max-payload', '1024']);
    expect((await api(s.httpUrl, '/api/send', { body: { to: 'alpha-1', content: 1 } })).status).toBe(401);
    expect((await api(s.httpUrl, '/api/send', { key: 'x'.repeat(20), body: { to: 'alpha-1', content: 1 } })).status).toBe(401);
    expect(await api(s.httpUrl, '/api/send', { key: API_KEY, body: 'nope' })).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect(await api(s.httpUrl, '/api/send', { key: API_KEY, body: { to: 'alpha-1' } })).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect((await api(s.httpUrl, '/api/publish', { key: API_KEY, body: { topic: 'news/a', data: 'x'.repeat(2000) } })).status).toBe(413);
  });

  it('sends RELIABLE to an online user and to an offline one, who fetches it after a kill -9 and restart', async () => {
    const { s, dir } = await serve('http://127.0.0.1:9/events');
    const online = await client(s, 'alpha-1');
    const r1 = await api(s.httpUrl, '/api/send', { key: API_KEY, body: { to: 'alpha-1', content: { hi: 1 } } });
    expect((await online.next('MESSAGE')).data).toEqual({ from: 'alpha-0', content: { hi: 1 }, id: r1.body.id });
    const r2 = await api(s.httpUrl, '/api/send', { key: API_KEY, body: { to: 'alpha-8', content: 'while away' } });
    expect(r2.status).toBe(200);
    s.proc.kill('SIGKILL');
    await s.exited();
    const { s: again } = await serve('http://127.0.0.1:9/events', dir);
    const later = await client(again, 'alpha-8');
    expect((await later.fetchAll()).map((f) => [f.data.from, f.data.content, f.data.id])).toEqual([['alpha-0', 'while away', r2.body.id]]);
  });

  it('disconnects every connection of a user with 4000', async () => {
    const { s } = await serve('http://127.0.0.1:9/events');
    const tabs = [await client(s, 'alpha-3'), await client(s, 'alpha-3'), await client(s, 'alpha-3')];
    const other = await client(s, 'alpha-4');
    expect((await api(s.httpUrl, '/api/users/alpha-3', { key: API_KEY })).body).toEqual({ userId: 'alpha-3', online: true, connections: 3 });
    expect((await api(s.httpUrl, '/api/disconnect', { key: API_KEY, body: { userId: 'alpha-3' } })).body).toEqual({ closed: 3 });
    for (const t of tabs) expect((await t.closed).code).toBe(4000);
    expect(await other.none('x', 100)).toBe(true);
    expect(other.closeCode).toBeUndefined();
  });

  it('bridges an SSE upstream: one stream for two subscribers, resume with Last-Event-ID, close after the linger', async () => {
    upstream = await startSseUpstream();
    const { s } = await serve(`${upstream.baseUrl}/events`, undefined, ['--sse-linger-ms', '500']);
    const subs = [await client(s, 'alpha-1'), await client(s, 'alpha-2')];
    for (const c of subs) expect(await subscribe(c, 'project/42/merge')).toBe('SUBSCRIBED');
    await expect.poll(() => upstream!.openCount(), { timeout: 5_000 }).toBe(1);
    expect(upstream.requests[0]!.url).toBe('/events?project=42&type=merge');
    upstream.emit({ id: 'e1', data: '{"state":"opened"}' });
    for (const c of subs) expect((await c.next('PUBLICATION')).data).toEqual({ topic: 'project/42/merge', data: { state: 'opened' }, eventId: 'e1' });
    upstream.dropAll();
    await expect.poll(() => upstream!.requests.length, { timeout: 5_000 }).toBe(2);
    expect(upstream.requests[1]!.lastEventId).toBe('e1');
    await expect.poll(() => upstream!.openCount()).toBe(1);
    upstream.emit({ id: 'e2', data: 'not json' });
    for (const c of subs) expect((await c.next('PUBLICATION')).data).toEqual({ topic: 'project/42/merge', data: 'not json', eventId: 'e2' });
    for (const c of subs) c.ws.terminate();
    await expect.poll(() => upstream!.openCount(), { timeout: 5_000 }).toBe(0);
    expect(upstream.requests).toHaveLength(2);
  }, 30_000);
});
