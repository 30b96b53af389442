import { describe, expect, it } from 'vitest';
import type { ClientApp } from '../core/client-apps.js';
import { AppAuthVerifier } from './app-auth.js';
import type { AuthResult, AuthVerifier } from './auth-port.js';

const base = { appName: 'demo', appId: 'demo', masterUserId: 'demo-0' } as unknown as ClientApp;
const jwtApp = { ...base, authEnabled: false, auth: { type: 'jwt', issuer: 'https://idp', audience: 'sb' } } as ClientApp;
const webhookApp = { ...base, authEnabled: true, authUrl: 'http://hook' } as ClientApp;
const openApp = { ...base, authEnabled: false } as ClientApp;

function fake(result: AuthResult | Error): AuthVerifier & { calls: number } {
  return {
    calls: 0,
    verify() {
      this.calls++;
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    },
  };
}
const creds = { appId: 'demo', userId: 'demo-1', token: 't' };

describe('AppAuthVerifier', () => {
  it('sends jwt apps to the jwt verifier, webhook apps to the webhook, and accepts apps without auth', async () => {
    const jwt = fake({ ok: true, expiresAt: 5 });
    const webhook = fake({ ok: false, reason: 'no' });
    const auth = new AppAuthVerifier({ jwt, webhook });
    expect(await auth.verify(jwtApp, creds)).toEqual({ ok: true, expiresAt: 5 });
    expect(await auth.verify(webhookApp, creds)).toEqual({ ok: false, reason: 'no' });
    expect(await auth.verify(openApp, creds)).toEqual({ ok: true });
    expect([jwt.calls, webhook.calls]).toEqual([1, 1]);
  });

  it('turns a verifier that rejects into a refusal (fail closed)', async () => {
    const auth = new AppAuthVerifier({ jwt: fake(new Error('boom')), webhook: fake(new Error('boom')) });
    expect(await auth.verify(jwtApp, creds)).toEqual({ ok: false, reason: 'jwt auth failed' });
    expect(await auth.verify(webhookApp, creds)).toEqual({ ok: false, reason: 'webhook auth failed' });
  });

  it('names the kind of auth of an app', () => {
    expect([jwtApp, webhookApp, openApp].map((a) => AppAuthVerifier.kindOf(a))).toEqual(['jwt', 'webhook', 'none']);
  });
});
