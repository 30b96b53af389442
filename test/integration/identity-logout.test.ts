/**
 * Back-channel logout tokens from a real OpenID Connect provider (oidc-provider POSTs them to a
 * receiver the test runs): a valid token names the app, sub and sid; a replay, an access token, a
 * token with a nonce or without the logout event, a tampered signature, an impostor's key, an old
 * token and junk are refused, never thrown on, and never logged.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { ClientApp } from '../../src/core/client-apps.js';
import { JwtAuthVerifier, JwksSources } from '../../src/adapters/jwt-auth/jwt-auth-verifier.js';
import { BackchannelLogoutVerifier, type LogoutResult } from '../../src/adapters/jwt-auth/logout-token-verifier.js';
import { matchesLogout } from '../../src/core/identity/logout-match.js';
import { createAppAuth } from '../../src/adapters/create-app-auth.js';
import { startIdp, TEST_AUDIENCE, type TestIdp } from '../support/oidc.js';
import { recordingLogger } from '../support/recording-logger.js';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const log = recordingLogger();
const tokens: string[] = [];
const reasons: string[] = [];
let skewMs = 0;
const now = () => Date.now() + skewMs;

/** Receives the provider's POSTs (form field logout_token), as the gateway's route will. */
let receiver: Server;
let receiverUrl: string;
const received: string[] = [];

let idp: TestIdp;
let apps: ClientApp[];
let logout: BackchannelLogoutVerifier;
let login: JwtAuthVerifier;

function app(appName: string, auth?: ClientApp['auth'], extra: Partial<ClientApp> = {}): ClientApp {
  return { appName, appId: appName as ClientApp['appId'], masterUserId: `${appName}-0` as ClientApp['masterUserId'], authEnabled: false, auth, ...extra };
}

async function check(token: unknown, verifier = logout): Promise<LogoutResult> {
  if (typeof token === 'string') tokens.push(token);
  const result = await verifier.verify(token);
  if (!result.ok) reasons.push(result.reason);
  return result;
}

/** Has the provider log `sub` / `sid` out and returns the logout token it POSTed. */
async function logoutTokenFrom(provider: TestIdp, sub: string, sid: string): Promise<string> {
  const before = received.length;
  await provider.logout(sub, sid);
  expect(received.length).toBe(before + 1);
  return received[received.length - 1]!;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token !== null) received.push(token);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/oidc/backchannel-logout`;
  idp = await startIdp({ backchannelLogoutUri: receiverUrl });
  apps = [
    app('web', undefined, { authEnabled: true, authUrl: 'http://127.0.0.1:9/auth' }),
    app('other', { type: 'jwt', issuer: idp.issuer, audience: 'another-service' }),
    app('demo', { type: 'jwt', issuer: idp.issuer, audience: TEST_AUDIENCE }),
  ];
  const options = { logger: log, now, refetchCooldownMs: 30_000 };
  const sources = new JwksSources(options);
  login = new JwtAuthVerifier(options, sources);
  logout = new BackchannelLogoutVerifier(apps, options, sources);
});
afterAll(async () => {
  await idp.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

describe('BackchannelLogoutVerifier', () => {
  it('accepts the provider\'s logout token: the app by iss + aud, sub, sid and the userId to close', async () => {
    const token = await logoutTokenFrom(idp, 'demo-1', 'sid-1');
    expect(decodeProtectedHeader(token).typ).toBe('logout+jwt');
    expect(decodeJwt(token)).toMatchObject({ iss: idp.issuer, aud: TEST_AUDIENCE, sub: 'demo-1', sid: 'sid-1', events: { [LOGOUT_EVENT]: {} } });
    const result = await check(token);
    expect(result).toMatchObject({ ok: true, sub: 'demo-1', sid: 'sid-1', userId: 'demo-1' });
    expect(result.ok && result.app.appName).toBe('demo');
  });

  it('accepts the token the provider POSTs when the user signs out of a real session (end_session)', async () => {
    const session = await idp.signIn('demo-8');
    const before = received.length;
    await idp.signOut(session);
    expect(received.length).toBe(before + 1);
    const token = received[received.length - 1]!;
    const result = await check(token);
    expect(result).toMatchObject({ ok: true, sub: 'demo-8', sid: session.sid, userId: 'demo-8' });
    // A connection whose token carried that session's sid is the one to close; another session's is not.
    expect(result.ok && matchesLogout(result, { sub: 'demo-8', sid: session.sid })).toBe(true);
    expect(result.ok && matchesLogout(result, { sub: 'demo-8', sid: 'another-session' })).toBe(false);
  });

  it('shares the JWKS cache with logins: a login then a logout fetch the keys once', async () => {
    const fresh = await startIdp({ backchannelLogoutUri: receiverUrl });
    try {
      const options = { logger: log, now };
      const sources = new JwksSources(options);
      const demo = app('demo', { type: 'jwt', issuer: fresh.issuer, audience: TEST_AUDIENCE });
      const verifier = new JwtAuthVerifier(options, sources);
      expect((await verifier.verify(demo, { appId: 'demo', userId: 'demo-1', token: await fresh.token({ sub: 'demo-1' }) })).ok).toBe(true);
      const result = await check(await logoutTokenFrom(fresh, 'demo-1', 'sid-9'), new BackchannelLogoutVerifier([demo], options, sources));
      expect(result.ok).toBe(true);
      expect(fresh.counts.jwks).toBe(1);
    } finally {
      await fresh.stop();
    }
  });

  it('refuses a replayed logout token (same jti), and remembers only tokens that passed', async () => {
    const token = await logoutTokenFrom(idp, 'demo-2', 'sid-2');
    const [h, p, s] = token.split('.') as [string, string, string];
    const i = Math.floor(s.length / 2);
    const tampered = `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
    expect(await check(tampered)).toEqual({ ok: false, reason: 'bad signature' });
    expect((await check(token)).ok).toBe(true);
    expect(await check(token)).toEqual({ ok: false, reason: 'logout token replayed (jti already seen)' });
  });

  it('refuses a logout token older than maxLogoutTokenAgeMs even before its exp', async () => {
    const strict = new BackchannelLogoutVerifier(apps, { logger: log, now: () => Date.now() + 61_000, clockToleranceMs: 0, maxLogoutTokenAgeMs: 60_000 });
    expect(await check(await logoutTokenFrom(idp, 'demo-5', 'sid-5'), strict)).toEqual({ ok: false, reason: 'token too old or issued in the future (iat)' });
  });

  it('refuses an access token (no events claim)', async () => {
    expect(await check(await idp.token({ sub: 'demo-1' }))).toEqual({ ok: false, reason: 'claim "events" missing' });
  });

  it('refuses a token with a nonce', async () => {
    const token = await idp.token({ sub: 'demo-1', extra: { events: { [LOGOUT_EVENT]: {} }, nonce: 'n-1' } });
    expect(await check(token)).toEqual({ ok: false, reason: 'a logout token must not contain nonce' });
  });

  it('refuses events without the back-channel logout member, or of the wrong shape', async () => {
    for (const events of [{ 'http://schemas.openid.net/event/other': {} }, { [LOGOUT_EVENT]: 'yes' }, [LOGOUT_EVENT]]) {
      const result = await check(await idp.token({ sub: 'demo-1', extra: { events } }));
      expect(result.ok).toBe(false);
    }
  });

  it('refuses a logout token signed with a key the issuer does not publish', async () => {
    const impostor = await startIdp({ issuer: idp.issuer, backchannelLogoutUri: receiverUrl });
    try {
      expect(await check(await logoutTokenFrom(impostor, 'demo-1', 'sid-1'))).toEqual({ ok: false, reason: 'no key of the issuer matches the token (unknown kid)' });
    } finally {
      await impostor.stop();
    }
  });

  it('refuses a logout token past its age (iat), or issued in the future', async () => {
    const token = await logoutTokenFrom(idp, 'demo-3', 'sid-3');
    try {
      skewMs = 10 * 60_000;
      // The provider's logout tokens live 120 s: past that, exp refuses them before the age check.
      expect(await check(token)).toEqual({ ok: false, reason: 'token expired' });
      skewMs = -5 * 60_000;
      expect(await check(token)).toEqual({ ok: false, reason: 'token too old or issued in the future (iat)' });
    } finally {
      skewMs = 0;
    }
    expect((await check(token)).ok).toBe(true);
  });

  it('refuses a token for an issuer and audience no jwt app has', async () => {
    expect(await check(await idp.token({ sub: 'demo-1', audience: 'nobody', extra: { events: { [LOGOUT_EVENT]: {} } } }))).toEqual({
      ok: false,
      reason: 'no app with jwt auth for this issuer and audience',
    });
  });

  it('finds the app by audience among apps of one issuer', async () => {
    const token = await idp.token({ sub: 'other-4', audience: 'another-service', extra: { events: { [LOGOUT_EVENT]: {} } } });
    const result = await check(token);
    expect(result.ok && result.app.appName).toBe('other');
  });

  it('refuses junk without throwing', async () => {
    const junk: unknown[] = [undefined, null, 42, {}, '', 'a.b.c', 'x'.repeat(100_000), '%%%.%%%.%%%', `${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`];
    for (const token of junk) expect((await check(token)).ok).toBe(false);
    console.log(`logout junk: sent ${junk.length}, refused ${junk.length}, thrown 0`);
  });

});

describe('logins after a logout', () => {
  it('the login verifier still accepts the user\'s new token (logout is the gateway\'s close, not a ban)', async () => {
    const demo = apps[2]!;
    expect((await login.verify(demo, { appId: 'demo', userId: 'demo-1', token: await idp.token({ sub: 'demo-1' }) })).ok).toBe(true);
  });
});

describe('createAppAuth', () => {
  it('builds the per-app verifier and the logout verifier over one key cache', async () => {
    const fresh = await startIdp({ backchannelLogoutUri: receiverUrl });
    try {
      const demo = app('demo', { type: 'jwt', issuer: fresh.issuer, audience: TEST_AUDIENCE });
      const open = app('open');
      const { verifier, logout: logouts } = createAppAuth([demo, open], { logger: log });
      const result = await verifier.verify(demo, { appId: 'demo', userId: 'demo-1', token: await fresh.token({ sub: 'demo-1' }) });
      expect(result.ok && result.expiresAt).toBeGreaterThan(Date.now());
      expect(await verifier.verify(open, { appId: 'open', userId: 'open-1', token: undefined })).toEqual({ ok: true });
      expect(await check(await logoutTokenFrom(fresh, 'demo-1', 'sid-1'), logouts)).toMatchObject({ ok: true, userId: 'demo-1' });
      expect(fresh.counts.jwks).toBe(1);
    } finally {
      await fresh.stop();
    }
  });
});

describe('logs', () => {
  it('logs no token and gives no token in a reason', () => {
    const text = `${log.text()}\n${reasons.join('\n')}`;
    expect(reasons.length).toBeGreaterThan(10);
    for (const token of tokens) for (const part of token.split('.')) if (part.length >= 16) expect(text.includes(part.slice(0, 16))).toBe(false);
  });
});
