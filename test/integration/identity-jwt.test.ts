/**
 * JwtAuthVerifier against a real OpenID Connect provider (oidc-provider) on loopback: logins, every
 * refusal of contract §10, key rotation without restart, an IdP down at start, JWKS faults, the
 * forged-kid flood, the bad-input sweep, and no token in any log line or reason.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtectedHeader, exportSPKI, importJWK } from 'jose';
import type { ClientApp } from '../../src/core/client-apps.js';
import type { AuthResult } from '../../src/adapters/auth-port.js';
import { JwtAuthVerifier, type JwtAuthOptions } from '../../src/adapters/jwt-auth/jwt-auth-verifier.js';
import { startIdp, TEST_AUDIENCE, type TestIdp } from '../support/oidc.js';
import { recordingLogger } from '../support/recording-logger.js';

const log = recordingLogger();
/** Every token a test made, and every reason a verifier gave: grepped at the end. */
const tokens: string[] = [];
const reasons: string[] = [];

let skewMs = 0;
const now = () => Date.now() + skewMs;
const COOLDOWN_MS = 30_000;

function appFor(idp: { issuer: string }, auth: Partial<NonNullable<ClientApp['auth']>> = {}): ClientApp {
  return {
    appName: 'demo',
    appId: 'demo' as ClientApp['appId'],
    masterUserId: 'demo-0' as ClientApp['masterUserId'],
    authEnabled: false,
    auth: { type: 'jwt', issuer: idp.issuer, audience: TEST_AUDIENCE, ...auth },
  };
}

function makeVerifier(options: Partial<JwtAuthOptions> = {}): JwtAuthVerifier {
  return new JwtAuthVerifier({ logger: log, now, refetchCooldownMs: COOLDOWN_MS, fetchTimeoutMs: 5_000, ...options });
}

async function verify(verifier: JwtAuthVerifier, app: ClientApp, token: string | undefined, userId = 'demo-1'): Promise<AuthResult> {
  if (token !== undefined) tokens.push(token);
  const result = await verifier.verify(app, { appId: app.appId, userId, token });
  if (result.reason !== undefined) reasons.push(result.reason);
  return result;
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
/** The token with its header replaced (payload and signature kept). */
function withHeader(token: string, header: object, signature = token.split('.')[2]!): string {
  const [, payload] = token.split('.');
  return `${b64(header)}.${payload}.${signature}`;
}

let idp: TestIdp;
beforeAll(async () => {
  idp = await startIdp();
});
afterAll(async () => {
  await idp.stop();
});

describe('JwtAuthVerifier', () => {
  it('accepts a token the provider issued for the user, with expiresAt = exp and the claims', async () => {
    const verifier = makeVerifier();
    const token = await idp.token({ sub: 'demo-1' });
    const result = await verify(verifier, appFor(idp), token);
    expect(result).toMatchObject({ ok: true, claims: { sub: 'demo-1', aud: TEST_AUDIENCE, iss: idp.issuer } });
    expect(result.expiresAt).toBe((result.claims!['exp'] as number) * 1000);
    expect(result.reason).toBeUndefined();
  });

  it('accepts a token from the provider\'s token endpoint (client_credentials with a resource indicator)', async () => {
    const token = await idp.clientCredentialsToken('demo-7');
    expect(await verify(makeVerifier(), appFor(idp), token, 'demo-7')).toMatchObject({ ok: true, claims: { sub: 'demo-7', client_id: 'demo-7' } });
  });

  it('finds the keys through discovery once, and through jwksUrl without discovery', async () => {
    const before = { ...idp.counts };
    const verifier = makeVerifier();
    for (let i = 0; i < 5; i++) expect((await verify(verifier, appFor(idp), await idp.token({ sub: 'demo-1' }))).ok).toBe(true);
    expect(idp.counts.discovery - before.discovery).toBe(1);
    expect(idp.counts.jwks - before.jwks).toBe(1);
    const direct = makeVerifier();
    expect((await verify(direct, appFor(idp, { jwksUrl: idp.jwksUrl }), await idp.token({ sub: 'demo-1' }))).ok).toBe(true);
    expect(idp.counts.discovery - before.discovery).toBe(1);
  });

  it.each(['ES256', 'PS256', 'EdDSA'] as const)('accepts tokens of a provider signing with %s', async (alg) => {
    const other = await startIdp({ alg });
    try {
      const token = await other.token({ sub: 'demo-1' });
      expect(decodeProtectedHeader(token).alg).toBe(alg);
      expect((await verify(makeVerifier(), appFor(other), token)).ok).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('a burst of first logins fetches discovery and the keys once', async () => {
    const fresh = await startIdp();
    try {
      const verifier = makeVerifier();
      const token = await fresh.token({ sub: 'demo-1' });
      const results = await Promise.all(Array.from({ length: 50 }, () => verify(verifier, appFor(fresh), token)));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(fresh.counts).toEqual({ discovery: 1, jwks: 1 });
    } finally {
      await fresh.stop();
    }
  });

  it('refuses when the discovery document names another issuer', async () => {
    const token = await idp.token({ sub: 'demo-1' });
    const result = await verify(makeVerifier(), appFor({ issuer: `${idp.issuer}/` }), token);
    expect(result).toEqual({ ok: false, reason: 'idp keys unavailable: discovery: "issuer" differs from the configured issuer' });
  });

  it('checks the user claim named by userClaim', async () => {
    const token = await idp.token({ sub: 'someone', extra: { preferred_username: 'demo-1' } });
    expect((await verify(makeVerifier(), appFor(idp, { userClaim: 'preferred_username' }), token)).ok).toBe(true);
    const missing = await verify(makeVerifier(), appFor(idp, { userClaim: 'uid' }), token);
    expect(missing).toMatchObject({ ok: false, reason: 'user claim "uid" missing' });
  });

  describe('refuses', () => {
    it('an expired token (past the 30 s tolerance), and accepts one within it', async () => {
      const token = await idp.token({ sub: 'demo-1', ttlSeconds: 1 });
      const verifier = makeVerifier();
      skewMs = 20_000;
      expect((await verify(verifier, appFor(idp), token)).ok).toBe(true);
      skewMs = 45_000;
      expect(await verify(verifier, appFor(idp), token)).toMatchObject({ ok: false, reason: 'token expired' });
      skewMs = 0;
    });

    it('a token not yet valid (nbf past the tolerance), and accepts one within it', async () => {
      const verifier = makeVerifier();
      const soon = await idp.token({ sub: 'demo-1', extra: { nbf: Math.floor(Date.now() / 1000) + 10 } });
      expect((await verify(verifier, appFor(idp), soon)).ok).toBe(true);
      const later = await idp.token({ sub: 'demo-1', extra: { nbf: Math.floor(Date.now() / 1000) + 120 } });
      expect(await verify(verifier, appFor(idp), later)).toMatchObject({ ok: false, reason: 'token not yet valid (nbf)' });
    });

    it('a token for another audience', async () => {
      const token = await idp.token({ sub: 'demo-1', audience: 'another-service' });
      expect(await verify(makeVerifier(), appFor(idp), token)).toMatchObject({ ok: false, reason: 'wrong audience' });
    });

    it('a token from another issuer (same keys)', async () => {
      const token = await idp.token({ sub: 'demo-1' });
      const app = appFor({ issuer: 'http://127.0.0.1:9/realms/other' }, { jwksUrl: idp.jwksUrl });
      expect(await verify(makeVerifier(), app, token)).toMatchObject({ ok: false, reason: 'wrong issuer' });
    });

    it('a token of another subject', async () => {
      const token = await idp.token({ sub: 'demo-2' });
      expect(await verify(makeVerifier(), appFor(idp), token, 'demo-1')).toMatchObject({ ok: false, reason: 'user claim "sub" does not match userId' });
    });

    it('a token signed with a key the issuer does not publish (an impostor with the same issuer)', async () => {
      const impostor = await startIdp({ issuer: idp.issuer });
      try {
        const token = await impostor.token({ sub: 'demo-1' });
        const result = await verify(makeVerifier(), appFor(idp), token);
        expect(result).toMatchObject({ ok: false, reason: 'no key of the issuer matches the token (unknown kid)' });
        // Without a kid, the issuer's own key is tried and the signature fails.
        const { kid: _kid, ...noKid } = decodeProtectedHeader(token);
        expect(await verify(makeVerifier(), appFor(idp), withHeader(token, noKid))).toMatchObject({ ok: false, reason: 'bad signature' });
      } finally {
        await impostor.stop();
      }
    });

    it('alg none, with or without a signature', async () => {
      const token = await idp.token({ sub: 'demo-1' });
      const verifier = makeVerifier();
      expect(await verify(verifier, appFor(idp), withHeader(token, { alg: 'none', typ: 'JWT' }, ''))).toMatchObject({ ok: false });
      expect(await verify(verifier, appFor(idp), withHeader(token, { alg: 'none', typ: 'JWT' }))).toMatchObject({ ok: false, reason: 'algorithm not allowed (none)' });
    });

    it('HS256 signed with the provider\'s public key as the secret (PEM, DER modulus and JWK forms)', async () => {
      const token = await idp.token({ sub: 'demo-1' });
      const verifier = makeVerifier();
      expect((await verify(verifier, appFor(idp), token)).ok).toBe(true);
      const jwk = (await idp.publicJwks()).keys[0]!;
      const pem = await exportSPKI((await importJWK(jwk, 'RS256', { extractable: true })) as Parameters<typeof exportSPKI>[0]);
      const secrets = [Buffer.from(pem), Buffer.from(jwk.n!, 'base64url'), Buffer.from(JSON.stringify(jwk))];
      for (const secret of secrets) {
        const header = b64({ alg: 'HS256', typ: 'JWT', kid: jwk.kid });
        const payload = token.split('.')[1]!;
        const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
        expect(await verify(verifier, appFor(idp), `${header}.${payload}.${signature}`)).toMatchObject({ ok: false, reason: 'algorithm not allowed (HS256)' });
      }
    });

    it('a logout token offered as a login', async () => {
      const token = await idp.token({ sub: 'demo-1', extra: { events: { 'http://schemas.openid.net/event/backchannel-logout': {} } } });
      expect(await verify(makeVerifier(), appFor(idp), token)).toMatchObject({ ok: false, reason: 'a logout token is not a login' });
    });

    it('an app without jwt auth, and a missing token', async () => {
      const app = { ...appFor(idp), auth: undefined };
      expect(await verify(makeVerifier(), app, await idp.token({ sub: 'demo-1' }))).toMatchObject({ ok: false, reason: 'app has no jwt auth' });
      expect(await verify(makeVerifier(), appFor(idp), undefined)).toMatchObject({ ok: false, reason: 'no token' });
    });
  });

  describe('keys', () => {
    it('accepts tokens of a rotated key without a restart (after the refetch cooldown), and drops a retired key', async () => {
      const rotating = await startIdp();
      try {
        const verifier = makeVerifier();
        const app = appFor(rotating);
        const old = await rotating.token({ sub: 'demo-1' });
        expect((await verify(verifier, app, old)).ok).toBe(true);
        await rotating.rotate({ keepOld: true });
        const next = await rotating.token({ sub: 'demo-1' });
        expect(decodeProtectedHeader(next).kid).not.toBe(decodeProtectedHeader(old).kid);
        // Within the cooldown of the first fetch the new kid is not fetched yet: refused, no request.
        const jwksBefore = rotating.counts.jwks;
        expect(await verify(verifier, app, next)).toMatchObject({ ok: false, reason: 'no key of the issuer matches the token (unknown kid)' });
        expect(rotating.counts.jwks).toBe(jwksBefore);
        skewMs = COOLDOWN_MS + 1_000;
        expect((await verify(verifier, app, next)).ok).toBe(true);
        expect((await verify(verifier, app, old)).ok).toBe(true);
        expect(rotating.counts.jwks).toBe(jwksBefore + 1);
        // The old key retired: once refetched (max age), its tokens are refused.
        await rotating.rotate({ keepOld: false });
        const third = await rotating.token({ sub: 'demo-1' });
        skewMs = 2 * COOLDOWN_MS + 2_000;
        expect((await verify(verifier, app, third)).ok).toBe(true);
        expect(await verify(verifier, app, next)).toMatchObject({ ok: false, reason: 'no key of the issuer matches the token (unknown kid)' });
      } finally {
        skewMs = 0;
        await rotating.stop();
      }
    });

    it('a flood of forged kids costs the IdP at most one JWKS request per cooldown', async () => {
      const verifier = makeVerifier();
      const app = appFor(idp);
      const real = await idp.token({ sub: 'demo-1' });
      expect((await verify(verifier, app, real)).ok).toBe(true);
      const before = idp.counts.jwks;
      const flood = (n: number) =>
        Promise.all(Array.from({ length: n }, (_, i) => verify(verifier, app, withHeader(real, { alg: 'RS256', kid: `forged-${i}-${Math.random()}` }))));
      const first = await flood(500);
      expect(first.every((r) => !r.ok)).toBe(true);
      expect(idp.counts.jwks - before).toBe(0);
      try {
        skewMs = COOLDOWN_MS + 1_000;
        const second = await flood(500);
        expect(second.every((r) => !r.ok)).toBe(true);
        expect(idp.counts.jwks - before).toBe(1);
        console.log(`forged kids: sent 1000, accepted 0, jwks requests ${idp.counts.jwks - before} (cooldown ${COOLDOWN_MS} ms)`);
        expect((await verify(verifier, app, real)).ok).toBe(true);
      } finally {
        skewMs = 0;
      }
    });

    it('fails closed while the IdP is down at start, and accepts once it is back', async () => {
      const late = await startIdp();
      try {
        await late.down();
        const verifier = makeVerifier();
        const app = appFor(late);
        const token = await late.token({ sub: 'demo-1' });
        const down = await verify(verifier, app, token);
        expect(down.ok).toBe(false);
        expect(down.reason).toMatch(/^idp keys unavailable: discovery: unreachable/);
        // Within the cooldown, further logins fail at once without a request.
        expect((await verify(verifier, app, token)).ok).toBe(false);
        await late.up();
        skewMs = COOLDOWN_MS + 1_000;
        expect((await verify(verifier, app, token)).ok).toBe(true);
      } finally {
        skewMs = 0;
        await late.stop();
      }
    });

    it.each([
      ['hang', /timed out/],
      ['garbage', /jwks: not JSON/],
      ['not-json-keys', /unknown kid/],
      ['huge', /body over/],
      ['http-500', /jwks: HTTP 500/],
    ] as const)('fails closed when the JWKS endpoint answers %s, and recovers', async (fault, reason) => {
      const faulty = await startIdp();
      try {
        faulty.setJwksFault(fault);
        const verifier = makeVerifier({ fetchTimeoutMs: fault === 'hang' ? 500 : 5_000 });
        const app = appFor(faulty);
        const token = await faulty.token({ sub: 'demo-1' });
        const started = Date.now();
        const result = await verify(verifier, app, token);
        expect(result.ok).toBe(false);
        expect(result.reason).toMatch(reason);
        if (fault === 'hang') expect(Date.now() - started).toBeLessThan(3_000);
        faulty.setJwksFault('none');
        skewMs = COOLDOWN_MS + 1_000;
        expect((await verify(verifier, app, token)).ok).toBe(true);
      } finally {
        skewMs = 0;
        await faulty.stop();
      }
    });
  });

  describe('bad input', () => {
    it('refuses every malformed or oversized token with a reason, never a throw', async () => {
      const verifier = makeVerifier();
      const app = appFor(idp);
      const real = await idp.token({ sub: 'demo-1' });
      const [h, p, s] = real.split('.') as [string, string, string];
      let deep: unknown = 'x';
      for (let i = 0; i < 4_000; i++) deep = [deep];
      const MALFORMED = 'malformed token (not a signed compact JWT)';
      const TOO_LONG = 'token longer than 16384 characters';
      const cases: [string, string, string][] = [
        ['empty', '', 'no token'],
        ['one part', 'abc', MALFORMED],
        ['two parts', `${h}.${p}`, MALFORMED],
        ['four parts', `${real}.x`, MALFORMED],
        ['16 KiB + 1', `${h}.${p}.${'A'.repeat(16_385 - h.length - p.length - 2)}`, TOO_LONG],
        ['1 MiB', 'A'.repeat(1 << 20), TOO_LONG],
        ['non-base64url characters', `${h}.${p}.${s}!`, MALFORMED],
        ['percent junk', '%%%.%%%.%%%', MALFORMED],
        ['unicode', `${h}.${p}.${s}\u2028`, MALFORMED],
        ['header not JSON', `${b64('{"alg":')}.${p}.${s}`, 'malformed token header'],
        ['header an array', `${b64('[1,2]')}.${p}.${s}`, 'malformed token header'],
        ['header a depth bomb', `${b64(JSON.stringify(deep).slice(0, 12_000))}.${p}.${s}`, 'malformed token header'],
        ['payload not JSON', `${h}.${b64('not json')}.${s}`, 'bad signature'],
        ['payload a depth bomb', `${h}.${b64(JSON.stringify({ sub: deep }).slice(0, 12_000))}.${s}`, 'bad signature'],
        ['signature truncated', `${h}.${p}.${s.slice(0, 10)}`, 'bad signature'],
        ['payload swapped', `${h}.${b64({ sub: 'demo-1', iss: idp.issuer, aud: TEST_AUDIENCE, exp: 9e9 })}.${s}`, 'bad signature'],
      ];
      let refused = 0;
      for (const [name, token, reason] of cases) {
        const result = await verify(verifier, app, token);
        expect(result, name).toEqual({ ok: false, reason });
        refused++;
      }
      console.log(`bad tokens: sent ${cases.length}, refused ${refused}, thrown 0`);
    });

    it('refuses a provider-signed token whose claims nest too deeply', async () => {
      let deep: unknown = 1;
      for (let i = 0; i < 40; i++) deep = { a: deep };
      const token = await idp.token({ sub: 'demo-1', extra: { profile: deep } });
      expect(await verify(makeVerifier(), appFor(idp), token)).toMatchObject({ ok: false, reason: 'claims nested too deeply' });
      let fine: unknown = 1;
      for (let i = 0; i < 10; i++) fine = { a: fine };
      expect((await verify(makeVerifier(), appFor(idp), await idp.token({ sub: 'demo-1', extra: { profile: fine } }))).ok).toBe(true);
    });

    it('a non-string token is refused, not thrown on', async () => {
      const verifier = makeVerifier();
      for (const token of [42, null, {}, ['a.b.c']]) {
        const result = await verifier.verify(appFor(idp), { appId: 'demo', userId: 'demo-1', token: token as unknown as string });
        expect(result.ok).toBe(false);
      }
    });
  });

  it('never puts a token into a log line or a reason', () => {
    const text = `${log.text()}\n${reasons.join('\n')}`;
    expect(log.lines.length).toBeGreaterThan(0);
    expect(reasons.length).toBeGreaterThan(20);
    let checked = 0;
    for (const token of tokens) {
      for (const part of token.split('.')) {
        if (part.length < 16) continue;
        // Any 16-character slice of a token part would betray it.
        expect(text.includes(part.slice(0, 16))).toBe(false);
        checked++;
      }
    }
    console.log(`tokens checked against ${log.lines.length} log lines and ${reasons.length} reasons: ${checked} parts, 0 found`);
  });
});
