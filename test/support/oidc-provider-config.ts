/**
 * How test/support/oidc.ts configures oidc-provider: its clients, keys, storage, resource servers
 * (JWT access tokens), interactions and features. Test-only.
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';
import type { TestIdpOptions } from './oidc.js';

/** The audience (and client id) tests use unless they name another. */
export const TEST_AUDIENCE = 'switchboard';
/** The client registered for back-channel logout (its id is TEST_AUDIENCE). */
export const TEST_CLIENT_SECRET = 'test-client-secret';
/** Where the provider sends the browser after a sign-in (never followed: the code is read from the Location). */
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

export interface Keys {
  readonly signing: JWK;
  readonly published: JWK[];
}

export async function newKey(alg: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: `k-${Math.random().toString(36).slice(2, 10)}` };
}

/** The provider's storage for the test's lifetime (its adapter interface; kept per provider instance). */
function memoryAdapter(): new (name: string) => object {
  const store = new Map<string, Record<string, unknown>>();
  return class TestAdapter {
    readonly #name: string;
    constructor(name: string) {
      this.#name = name;
    }
    #key(id: string) {
      return `${this.#name}:${id}`;
    }
    upsert(id: string, payload: Record<string, unknown>) {
      store.set(this.#key(id), payload);
      return Promise.resolve();
    }
    find(id: string) {
      return Promise.resolve(store.get(this.#key(id)));
    }
    findByUid(uid: string) {
      return Promise.resolve([...store.values()].find((p) => p['uid'] === uid));
    }
    findByUserCode(code: string) {
      return Promise.resolve([...store.values()].find((p) => p['userCode'] === code));
    }
    consume(id: string) {
      const payload = store.get(this.#key(id));
      if (payload !== undefined) payload['consumed'] = Math.floor(Date.now() / 1000);
      return Promise.resolve();
    }
    destroy(id: string) {
      store.delete(this.#key(id));
      return Promise.resolve();
    }
    revokeByGrantId(grantId: string) {
      for (const [key, payload] of store) if (payload['grantId'] === grantId) store.delete(key);
      return Promise.resolve();
    }
  };
}

/** Extra claims of tokens being minted (the provider asks for them through its extraTokenClaims hook). */
export const extraClaims = new WeakMap<object, Record<string, unknown>>();

export function makeProvider(issuer: string, keys: Keys, options: TestIdpOptions, clientIds: readonly string[]): Provider {
  const alg = options.alg ?? 'RS256';
  // Resource indicators are absolute URIs: `urn:<audience>` asks for a token with `aud: <audience>`.
  const resourceServer = (resource: string) => ({ audience: resource.replace(/^urn:/, ''), scope: 'connect', accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg } } });
  const provider = new Provider(issuer, {
    adapter: memoryAdapter(),
    // Every account id exists; its only claim is sub.
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
    // Sign-in and consent are answered by the harness (see #interact), through the provider's interaction API.
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    extraTokenClaims: (_ctx: unknown, token: object) => extraClaims.get(token),
    cookies: { keys: ['test-cookie-key'] },
    ttl: { AccessToken: 300, ClientCredentials: 300, IdToken: 300 },
    // The signing key first: the provider signs with the first key matching the algorithm.
    jwks: { keys: [keys.signing, ...keys.published.filter((k) => k.kid !== keys.signing.kid)] },
    clients: [
      {
        client_id: TEST_AUDIENCE,
        client_secret: TEST_CLIENT_SECRET,
        grant_types: ['client_credentials', 'authorization_code'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
        id_token_signed_response_alg: alg,
        ...(options.backchannelLogoutUri === undefined ? {} : { backchannel_logout_uri: options.backchannelLogoutUri, backchannel_logout_session_required: true }),
      },
      ...clientIds.map((id) => ({ client_id: id, client_secret: TEST_CLIENT_SECRET, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] })),
    ],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      backchannelLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => `urn:${TEST_AUDIENCE}`,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => resourceServer(resource),
      },
    },
    enabledJWA: { idTokenSigningAlgValues: [alg], authorizationSigningAlgValues: [alg] },
  });
  return provider;
}

