/**
 * WebhookAuthVerifier (the webhook moved onto the new AuthVerifier port) against a local webhook
 * that says yes, no, fails, hangs or answers junk: only `{"isAuthenticated": true}` passes; the
 * token reaches the webhook and never a reason.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientApp } from '../../src/core/client-apps.js';
import { WebhookAuthVerifier } from '../../src/adapters/webhook-auth/webhook-auth-verifier.js';

type Answer = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let answer: Answer = (_req, res) => res.end('{"isAuthenticated":true}');
let server: Server;
let url: string;
const bodies: string[] = [];
const hung: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      answer(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/auth`;
});
afterAll(async () => {
  for (const res of hung) res.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const app = (authUrl: string | undefined): ClientApp => ({
  appName: 'ANZ',
  appId: 'app-id-343' as ClientApp['appId'],
  masterUserId: 'ANZ-0' as ClientApp['masterUserId'],
  authEnabled: true,
  authUrl,
});
const TOKEN = 'secret-token-value-1234567890';
const verifier = new WebhookAuthVerifier({ timeoutMs: 5_000, maxResponseBytes: 1024 });
/** For the webhook that never answers: a short timeout. */
const quick = new WebhookAuthVerifier({ timeoutMs: 500, maxResponseBytes: 1024 });
const verify = (v = verifier) => v.verify(app(url), { appId: 'app-id-343', userId: 'ANZ-1', token: TOKEN });

describe('WebhookAuthVerifier', () => {
  it('accepts {"isAuthenticated": true} and posts appId, userId and token', async () => {
    answer = (_req, res) => res.end('{"isAuthenticated":true}');
    expect(await verify()).toEqual({ ok: true });
    expect(JSON.parse(bodies[bodies.length - 1]!)).toEqual({ appId: 'app-id-343', userId: 'ANZ-1', token: TOKEN });
  });

  it.each<[string, Answer, RegExp]>([
    ['false', (_q, res) => res.end('{"isAuthenticated":false}'), /said not authenticated/],
    ['"true" as a string', (_q, res) => res.end('{"isAuthenticated":"true"}'), /without isAuthenticated: true/],
    ['not JSON', (_q, res) => res.end('yes'), /no JSON/],
    ['HTTP 500', (_q, res) => res.writeHead(500).end('{"isAuthenticated":true}'), /HTTP 500/],
    ['a redirect', (_q, res) => res.writeHead(302, { location: 'http://127.0.0.1:9/' }).end(), /unreachable/],
    ['an oversized body', (_q, res) => res.end(`{"isAuthenticated":true,"pad":"${'x'.repeat(4096)}"}`), /body over 1024 bytes/],
    ['nothing (hangs)', (_q, res) => void hung.push(res), /timed out/],
    ['a dropped connection', (req) => req.socket.destroy(), /unreachable/],
  ])('refuses when the webhook answers %s', async (name, a, reason) => {
    answer = a;
    const result = await verify(name.includes('hangs') ? quick : verifier);
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(reason);
    expect(result.reason).not.toContain(TOKEN);
  });

  it('refuses an unreachable webhook and an app without authUrl', async () => {
    expect((await verifier.verify(app('http://127.0.0.1:9/auth'), { appId: 'a', userId: 'ANZ-1', token: TOKEN })).ok).toBe(false);
    expect(await verifier.verify(app(undefined), { appId: 'a', userId: 'ANZ-1', token: TOKEN })).toEqual({ ok: false, reason: 'app has no authUrl' });
  });
});
