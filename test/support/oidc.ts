/**
 * A real OpenID Connect provider (oidc-provider, the certified implementation) in the test process,
 * on a free loopback port: discovery, JWKS, the token endpoint, JWT access tokens minted by the
 * provider's own AccessToken model for any subject and audience, key rotation (a new provider
 * instance with new keys behind the same address), a browser sign-in (code flow, PKCE) and sign-out
 * at its end_session endpoint, after which it POSTs the back-channel logout token (or that POST
 * alone, through its own Client#backchannelLogout), and faults on its JWKS (down, hang, garbage)
 * with request counts.
 * Always stop() it in afterEach/afterAll.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { decodeJwt, type JWK } from 'jose';
import type Provider from 'oidc-provider';
import { extraClaims, makeProvider, newKey, REDIRECT_URI, TEST_AUDIENCE, TEST_CLIENT_SECRET, type Keys } from './oidc-provider-config.js';

export { TEST_AUDIENCE, TEST_CLIENT_SECRET } from './oidc-provider-config.js';

export type JwksFault = 'none' | 'hang' | 'garbage' | 'not-json-keys' | 'huge' | 'http-500';

export interface TestIdpOptions {
  /** Claim this issuer instead of http://127.0.0.1:<port> (a second IdP posing as the first). */
  readonly issuer?: string;
  /** Where the provider POSTs logout tokens for the TEST_AUDIENCE client. */
  readonly backchannelLogoutUri?: string;
  /** Signing algorithm of the provider's key. @default 'RS256' */
  readonly alg?: 'RS256' | 'ES256' | 'PS256' | 'EdDSA';
}

export interface TokenRequest {
  readonly sub: string;
  /** @default TEST_AUDIENCE */
  readonly audience?: string;
  /** Lifetime, seconds (≥ 1). @default 300 */
  readonly ttlSeconds?: number;
  /** Extra claims in the payload (nbf, sid, nested junk …); the provider's own claims win. */
  readonly extra?: Record<string, unknown>;
  /** Issued at / expires at, seconds since the epoch (a token that expired long ago); default: now / now + ttlSeconds. */
  readonly iat?: number;
  readonly exp?: number;
}

export interface IdpSession {
  readonly sub: string;
  readonly sid: string;
  readonly cookies: Map<string, string>;
}

export interface TestIdp {
  readonly issuer: string;
  readonly port: number;
  readonly jwksUrl: string;
  /** Requests to the JWKS and discovery endpoints since start. */
  readonly counts: { jwks: number; discovery: number };
  /** kids the provider currently publishes. */
  kids(): string[];
  /** The public JWKS the provider publishes (to forge tokens against it). */
  publicJwks(): Promise<{ keys: JWK[] }>;
  /** A JWT access token issued by the provider for `sub`. */
  token(request: TokenRequest): Promise<string>;
  /** A token from the real token endpoint: client_credentials with a resource indicator (sub = the client id). */
  clientCredentialsToken(clientId: string, resource?: string): Promise<string>;
  /** New signing key; `keepOld` keeps publishing (not signing with) the old one. No restart of the HTTP port. */
  rotate(options?: { keepOld?: boolean }): Promise<void>;
  /**
   * A browser sign-in of `sub` through the authorization endpoint (code flow, PKCE): a real session
   * at the provider. Resolves the session's cookies and its `sid` for the client (from the ID token).
   */
  signIn(sub: string): Promise<IdpSession>;
  /** RP-initiated logout of that session at the provider's end_session endpoint: the provider then POSTs the back-channel logout token. */
  signOut(session: IdpSession): Promise<void>;
  /** The provider POSTs a logout token for `sub` / `sid` to the client's backchannel_logout_uri. */
  logout(sub: string, sid: string): Promise<void>;
  /** Fault on the JWKS endpoint from now on. */
  setJwksFault(fault: JwksFault): void;
  /** Closes the port (the IdP is down); `up()` listens again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a provider on a free port (the port stays the same across rotate/down/up). */
export async function startIdp(options: TestIdpOptions = {}): Promise<TestIdp> {
  const alg = options.alg ?? 'RS256';
  const clientIds = ['demo-7'];
  const first = await newKey(alg);
  let keys: Keys = { signing: first, published: [first] };
  let provider: Provider | undefined;
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let fault: JwksFault = 'none';
  const counts = { jwks: 0, discovery: 0 };
  const sockets = new Set<Socket>();
  const hung = new Set<ServerResponse>();

  let pendingLogin = '';

  /** The provider's interaction step, answered as a user would: sign in as pendingLogin, then consent. */
  const interact = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const details = await provider!.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        await provider!.interactionFinished(req, res, { login: { accountId: pendingLogin } }, { mergeWithLastSubmission: false });
        return;
      }
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
      const grant =
        (details.grantId === undefined ? undefined : await provider!.Grant.find(details.grantId)) ??
        new provider!.Grant({ accountId: details.session!.accountId, clientId: String(details.params['client_id']) });
      if (missing.missingOIDCScope !== undefined) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
      await provider!.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
    }
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path?.startsWith('/interaction/') === true) {
      void interact(req, res);
      return;
    }
    if (path === '/.well-known/openid-configuration') counts.discovery++;
    if (path === '/jwks') {
      counts.jwks++;
      switch (fault) {
        case 'hang':
          hung.add(res);
          return;
        case 'garbage':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [\u0000garbage');
          return;
        case 'not-json-keys':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[{"kty":"RSA","kid":"x","n":"!!","e":"AQAB"}],"extra":[[[[[]]]]]}');
          return;
        case 'huge':
          res.writeHead(200, { 'content-type': 'application/json' }).end(`{"keys":[],"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`);
          return;
        case 'http-500':
          res.writeHead(500).end();
          return;
        case 'none':
          break;
      }
    }
    handler!(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const port = await listen(0);
  const issuer = options.issuer ?? `http://127.0.0.1:${port}`;

  const configure = () => {
    provider = makeProvider(issuer, keys, options, clientIds);
    // Expected in tests (a logout POST refused by a gateway under test): not the test's failure.
    provider.on('server_error', () => undefined);
    provider.on('backchannel.error', () => undefined);
    handler = provider.callback();
  };
  configure();

  const closeConnections = () => {
    for (const res of hung) res.destroy();
    hung.clear();
    for (const s of sockets) s.destroy();
  };
  const close = () =>
    new Promise<void>((resolve) => {
      closeConnections();
      if (!server.listening) return resolve();
      server.close(() => resolve());
      closeConnections();
    });

  const base = `http://127.0.0.1:${port}`;
  /** One browser request: sends and keeps the cookies, never follows redirects. */
  const browse = async (jar: Map<string, string>, url: string, init: { method?: string; body?: string } = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers: Record<string, string> = { cookie };
    if (init.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(new URL(url, base), { ...init, redirect: 'manual', headers });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };

  return {
    issuer,
    port,
    jwksUrl: `http://127.0.0.1:${port}/jwks`,
    counts,
    kids: () => keys.published.map((k) => k.kid!),
    publicJwks: async () => {
      const res = await fetch(`http://127.0.0.1:${port}/jwks`);
      return (await res.json()) as { keys: JWK[] };
    },
    token: async (request) => {
      const client = await provider!.Client.find(TEST_AUDIENCE);
      const audience = request.audience ?? TEST_AUDIENCE;
      const token = new provider!.AccessToken({
        accountId: request.sub,
        client,
        scope: 'connect',
        expiresIn: request.ttlSeconds ?? 300,
        resourceServer: new provider!.ResourceServer(audience, { audience, scope: 'connect', accessTokenFormat: 'jwt', jwt: { sign: { alg } } }),
      });
      if (request.extra !== undefined) extraClaims.set(token, request.extra);
      // The provider takes iat / exp already set on the model instead of its own clock.
      if (request.iat !== undefined) token.iat = request.iat;
      if (request.exp !== undefined) token.exp = request.exp;
      return token.save();
    },
    clientCredentialsToken: async (clientId, resource = `urn:${TEST_AUDIENCE}`) => {
      const res = await fetch(`http://127.0.0.1:${port}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${TEST_CLIENT_SECRET}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'connect', resource }).toString(),
      });
      const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
      if (body.access_token === undefined) throw new Error(`token endpoint: ${res.status} ${body.error ?? ''} ${body.error_description ?? ''}`);
      return body.access_token;
    },
    rotate: async ({ keepOld = false } = {}) => {
      const next = await newKey(alg);
      keys = { signing: next, published: keepOld ? [next, ...keys.published] : [next] };
      configure();
    },
    signIn: async (sub) => {
      pendingLogin = sub;
      const jar = new Map<string, string>();
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      let url = `/auth?${new URLSearchParams({ client_id: TEST_AUDIENCE, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI, code_challenge: challenge, code_challenge_method: 'S256' }).toString()}`;
      let code: string | null = null;
      for (let hop = 0; hop < 10 && code === null; hop++) {
        const res = await browse(jar, url);
        await res.arrayBuffer();
        const location = res.headers.get('location');
        if (location === null) throw new Error(`sign-in stopped with HTTP ${res.status}`);
        if (location.startsWith(REDIRECT_URI)) code = new URL(location).searchParams.get('code');
        else url = location;
      }
      if (code === null) throw new Error('sign-in: no code');
      const res = await fetch(`${base}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${TEST_AUDIENCE}:${TEST_CLIENT_SECRET}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString(),
      });
      const tokens = (await res.json()) as { id_token?: string };
      if (tokens.id_token === undefined) throw new Error(`sign-in: token endpoint answered HTTP ${res.status}`);
      const sid = decodeJwt(tokens.id_token)['sid'];
      if (typeof sid !== 'string') throw new Error('sign-in: no sid in the ID token');
      return { sub, sid, cookies: jar };
    },
    signOut: async (session) => {
      const page = await browse(session.cookies, '/session/end');
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(await page.text())?.[1];
      if (xsrf === undefined) throw new Error(`sign-out: no logout form (HTTP ${page.status})`);
      const res = await browse(session.cookies, '/session/end/confirm', { method: 'POST', body: new URLSearchParams({ xsrf, logout: 'yes' }).toString() });
      await res.arrayBuffer();
      if (res.status >= 400) throw new Error(`sign-out: HTTP ${res.status}`);
    },
    logout: async (sub, sid) => {
      const client = await provider!.Client.find(TEST_AUDIENCE);
      if (client === undefined) throw new Error('no logout client');
      await client.backchannelLogout(sub, sid);
    },
    setJwksFault: (f) => {
      fault = f;
    },
    down: close,
    up: async () => {
      await listen(port);
    },
    stop: close,
  };
}
