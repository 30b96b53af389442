// Live identity (contract §10) against in-process gateways with a scripted verifier: tokens are
// "ok:<user>:<exp ms>" or anything else (refused). The JWT verifier itself is tested with a real
// OpenID Connect provider beside it; here: REFRESH_TOKEN, 4001 after exp + grace, back-channel
// logout closing the subject's connections on every node with 4003.
import { describe, expect, it } from 'vitest';
import { MemoryBus, MemoryBusNetwork } from '../../src/adapters/memory/memory-bus.js';
import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { MemoryMessageStore } from '../../src/adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import type { AuthResult, AuthVerifier } from '../../src/core/ports.js';
import type { LogoutTokenValidator } from '../../src/gateway/backchannel-logout.js';
import { gatewayScope } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';

const scripted: AuthVerifier = {
  verify(_app, { userId, token }): Promise<AuthResult> {
    const [kind, user, exp] = (token ?? '').split(':');
    if (kind !== 'ok' || user !== userId) return Promise.resolve({ ok: false, reason: 'scripted refusal' });
    return Promise.resolve({ ok: true, expiresAt: Number(exp), claims: { sub: userId, sid: `sid-${userId}` } });
  },
};

/** Logout tokens are "logout:<sub>" or "logout-sid:<sid>"; anything else is invalid. */
const logoutTokens: LogoutTokenValidator = {
  validate(token) {
    const [kind, value] = token.split(':');
    if (kind === 'logout' && value !== undefined) return Promise.resolve({ ok: true, appId: 'demo', sub: value });
    if (kind === 'logout-sid' && value !== undefined) return Promise.resolve({ ok: true, appId: 'demo', sid: value });
    return Promise.resolve({ ok: false, reason: 'bad logout token' });
  },
};

const scope = gatewayScope();

async function signIn(url: string, userId: string, expiresInMs: number): Promise<TestClient> {
  const c = await TestClient.connect(url);
  scope.clients.push(c);
  expect((await c.auth(userId, 'demo', `ok:${userId}:${Date.now() + expiresInMs}`)).data.isAuthenticated).toBe(true);
  return c;
}

describe('live tokens', () => {
  it('closes an unrefreshed connection with 4001 after exp, within the grace', async () => {
    const gw = await scope.start({ tokenGraceMs: 400 }, { bus: new MemoryBus(), presence: new MemoryPresence(), store: new MemoryMessageStore(), lease: new MemoryLease(), auth: scripted });
    const started = Date.now();
    const c = await signIn(gw.url, 'demo-1', 300);
    const closed = await c.closed;
    const after = Date.now() - started;
    expect(closed).toEqual({ code: 4001, reason: 'token expired' });
    expect(after).toBeGreaterThanOrEqual(300);
    expect(after).toBeLessThan(300 + 400 + 250);
  });

  it('REFRESH_TOKEN keeps the connection and its messages flowing; a refused token changes nothing', async () => {
    const gw = await scope.start({ tokenGraceMs: 200 }, { bus: new MemoryBus(), presence: new MemoryPresence(), store: new MemoryMessageStore(), lease: new MemoryLease(), auth: scripted });
    const c = await signIn(gw.url, 'demo-2', 400);
    const exp = Date.now() + 5_000;
    c.send({ type: 'REFRESH_TOKEN', data: { token: `ok:demo-2:${exp}` }, reference: 'r1' });
    const reply = await c.next('REFRESH_TOKEN_REPLY');
    expect(reply.data).toEqual({ ok: true, expiresAt: exp });
    expect(reply.reference).toBe('r1');
    c.send({ type: 'REFRESH_TOKEN', data: { token: 'ok:demo-3:1' } });
    expect((await c.next('REFRESH_TOKEN_REPLY')).data).toEqual({ ok: false, expiresAt: exp });
    await new Promise((r) => setTimeout(r, 900));
    c.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'alive' }, feature: 'FAST' });
    expect((await c.next('MESSAGE')).data.content).toBe('alive');
    expect(c.closeCode).toBeUndefined();
  });

  it('refuses a malformed REFRESH_TOKEN with BAD_REQUEST', async () => {
    const gw = await scope.start({}, { bus: new MemoryBus(), presence: new MemoryPresence(), store: new MemoryMessageStore(), lease: new MemoryLease(), auth: scripted });
    const c = await signIn(gw.url, 'demo-4', 60_000);
    c.send({ type: 'REFRESH_TOKEN', data: { token: 42 } });
    expect((await c.next('ERROR')).data.code).toBe('BAD_REQUEST');
  });
});

describe('back-channel logout', () => {
  it('closes the subject\'s connections on both nodes with 4003, other users untouched; invalid tokens are 400', async () => {
    const network = new MemoryBusNetwork();
    const presence = new MemoryPresence();
    const store = new MemoryMessageStore();
    const lease = new MemoryLease();
    const a = await scope.start({ nodeId: 'a' }, { bus: new MemoryBus({ network }), presence, store, lease, auth: scripted, logoutTokens });
    const b = await scope.start({ nodeId: 'b' }, { bus: new MemoryBus({ network }), presence, store, lease, auth: scripted, logoutTokens });
    const onA = await signIn(a.url, 'demo-7', 60_000);
    const onB = await signIn(b.url, 'demo-7', 60_000);
    const other = await signIn(b.url, 'demo-8', 60_000);
    const post = (token: string): Promise<Response> =>
      fetch(`${a.httpUrl}/oidc/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: token }).toString() });
    expect((await post('garbage')).status).toBe(400);
    expect((await fetch(`${a.httpUrl}/oidc/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status).toBe(400);
    expect((await post('logout:demo-7')).status).toBe(200);
    const [ca, cb] = await Promise.all([onA.closed, onB.closed]);
    expect(ca).toEqual({ code: 4003, reason: 'logged out' });
    expect(cb).toEqual({ code: 4003, reason: 'logged out' });
    expect(await other.none(() => false, 200)).toBe(true);
    expect(other.closeCode).toBeUndefined();
    expect((await post('logout-sid:sid-demo-8')).status).toBe(200);
    expect((await other.closed).code).toBe(4003);
  });
});
