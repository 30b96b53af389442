import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createConsoleRoutes, isLoopback, tokensEqual } from './console-routes.js';
import type { ConsoleStats, StatsBody } from './stats.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const dir = mkdtempSync(join(tmpdir(), 'sb-console-assets-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
writeFileSync(join(dir, 'console.js'), 'export {};');
writeFileSync(join(dir, 'console-style.css'), 'body{}');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stats: ConsoleStats = { snapshot: () => Promise.resolve({ nodeId: 'n1' } as StatsBody), stop: () => undefined };

/** Runs one request through the handler with a fake request and response. */
async function ask(path: string, init: { method?: string; remote?: string; headers?: Record<string, string>; token?: string; assetsDir?: string } = {}): Promise<Answer | 'not mine'> {
  const handler = createConsoleRoutes({ stats, consoleToken: init.token, assetsDir: init.assetsDir ?? `${dir}/` });
  return new Promise((resolve) => {
    const answer: Answer = { status: 0, headers: {}, body: '' };
    const req = { method: init.method ?? 'GET', headers: init.headers ?? {}, socket: { remoteAddress: init.remote ?? '127.0.0.1' } } as unknown as IncomingMessage;
    const res = {
      writeHead(status: number, headers: Record<string, string | number> = {}) {
        answer.status = status;
        for (const [k, v] of Object.entries(headers)) answer.headers[k.toLowerCase()] = String(v);
        return this;
      },
      end(body?: string | Buffer) {
        answer.body = body === undefined ? '' : body.toString();
        resolve(answer);
      },
    } as unknown as ServerResponse;
    if (!handler(req, res, path)) resolve('not mine');
  });
}

describe('console routes', () => {
  it('redirects / to /console and leaves other paths alone', async () => {
    expect(await ask('/')).toMatchObject({ status: 302, headers: { location: '/console' } });
    expect(await ask('/healthz')).toBe('not mine');
    expect(await ask('/consoles')).toBe('not mine');
  });

  it('serves the page with a strict CSP and the assets with their content types', async () => {
    const page = (await ask('/console', { headers: { host: '127.0.0.1:8080' } })) as Answer;
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = page.headers['content-security-policy']!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain('connect-src \'self\' ws://127.0.0.1:8080 wss://127.0.0.1:8080');
    expect(csp).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(await ask('/console/console.js')).toMatchObject({ status: 200, headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' } });
    expect(await ask('/console/console-style.css')).toMatchObject({ status: 200, headers: { 'content-type': 'text/css; charset=utf-8' } });
  });

  it('answers 304 to a matching ETag, 404 to other files, 405 to other methods', async () => {
    const js = (await ask('/console/console.js')) as Answer;
    expect(await ask('/console/console.js', { headers: { 'if-none-match': js.headers.etag! } })).toMatchObject({ status: 304, body: '' });
    expect(await ask('/console/../../package.json')).toMatchObject({ status: 404 });
    expect(await ask('/console/index.html.map')).toMatchObject({ status: 404 });
    expect(await ask('/console', { method: 'POST' })).toMatchObject({ status: 405 });
  });

  it('answers 503 naming the build when the console is not built', async () => {
    const answer = (await ask('/console', { assetsDir: join(dir, 'missing/') })) as Answer;
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('npm run build');
  });

  it('serves the stats on loopback, and elsewhere only with the console token', async () => {
    expect(await ask('/console/api/stats')).toMatchObject({ status: 200, body: '{"nodeId":"n1"}' });
    expect(await ask('/console/api/stats', { remote: '::1' })).toMatchObject({ status: 200 });
    expect(await ask('/console/api/stats', { remote: '10.1.2.3' })).toMatchObject({ status: 403 });
    const token = 'a-console-token-of-some-length';
    expect(await ask('/console/api/stats', { remote: '10.1.2.3', token })).toMatchObject({ status: 401 });
    expect(await ask('/console/api/stats', { remote: '10.1.2.3', token, headers: { authorization: 'Bearer wrong' } })).toMatchObject({ status: 401 });
    expect(await ask('/console/api/stats', { remote: '10.1.2.3', token, headers: { authorization: `Bearer ${token}` } })).toMatchObject({ status: 200 });
    // A wrong token is refused on loopback too, rather than ignored.
    expect(await ask('/console/api/stats', { token, headers: { authorization: 'Bearer wrong' } })).toMatchObject({ status: 401 });
  });

  it('takes 127.0.0.0/8 and ::1 (also IPv4-mapped) as loopback, nothing else', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '::2', '1.127.0.0', undefined]) expect(isLoopback(a), String(a)).toBe(false);
  });

  it('compares tokens whatever their lengths', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('', 'abc')).toBe(false);
  });
});
