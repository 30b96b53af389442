/**
 * AuthVerifier for apps with `auth: {type: jwt}` (contract §10): the connection's token is a JWT
 * signed by the app's issuer; signature, iss, aud, exp, nbf (with a clock tolerance) and the user
 * claim against the userId are checked, and the result carries exp as `expiresAt` and the claims.
 * Fails closed: every error, IdP outages included, is `{ok:false, reason}`. Never logs a token or a
 * claim; reasons never contain either.
 */
import type { ClientApp, JwtAuthConfig } from '../../core/client-apps.js';
import type { Logger } from '../../core/ports.js';
import type { AuthResult, AuthVerifier, Credentials } from '../auth-port.js';
import { checkJwt } from './jwt-checks.js';
import { JwksSource, type JwksSourceOptions } from './jwks-source.js';

/** The `events` member that marks a back-channel logout token (never accepted as a login). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface JwtAuthOptions {
  /** Tolerance on exp, nbf and iat, ms. @default 30000 */
  readonly clockToleranceMs?: number;
  /** Longest token accepted, characters (AUTH_CLIENT's decoder allows 16 KiB). @default 16384 */
  readonly maxTokenLength?: number;
  /** One discovery or JWKS request, ms. @default 5000 */
  readonly fetchTimeoutMs?: number;
  /** Least time between two JWKS fetches of one issuer (unknown kid, failure), ms. @default 30000 */
  readonly refetchCooldownMs?: number;
  /** Keys older than this are fetched again before use, ms. @default 600000 */
  readonly keysMaxAgeMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  readonly logger: Logger;
}

/** The key sources of every issuer in use, one per (issuer, jwksUrl): shared by logins and logout tokens. */
export class JwksSources {
  readonly #sources = new Map<string, JwksSource>();
  readonly #options: Omit<JwksSourceOptions, 'issuer' | 'jwksUrl'>;

  constructor(options: JwtAuthOptions) {
    this.#options = {
      logger: options.logger,
      ...(options.fetchTimeoutMs === undefined ? {} : { fetchTimeoutMs: options.fetchTimeoutMs }),
      ...(options.refetchCooldownMs === undefined ? {} : { refetchCooldownMs: options.refetchCooldownMs }),
      ...(options.keysMaxAgeMs === undefined ? {} : { maxAgeMs: options.keysMaxAgeMs }),
      ...(options.now === undefined ? {} : { now: options.now }),
    };
  }

  /** The source for an app's auth config (made on first use; no request until a token needs a key). */
  for(auth: JwtAuthConfig): JwksSource {
    const key = `${auth.issuer}\n${auth.jwksUrl ?? ''}`;
    let source = this.#sources.get(key);
    if (source === undefined) {
      source = new JwksSource({ ...this.#options, issuer: auth.issuer, jwksUrl: auth.jwksUrl });
      this.#sources.set(key, source);
    }
    return source;
  }
}

export class JwtAuthVerifier implements AuthVerifier {
  readonly #sources: JwksSources;
  readonly #toleranceMs: number;
  readonly #maxTokenLength: number;
  readonly #now: () => number;

  /** `sources`: pass the same instance to the BackchannelLogoutVerifier so both share one JWKS cache. */
  constructor(options: JwtAuthOptions, sources: JwksSources = new JwksSources(options)) {
    this.#sources = sources;
    this.#toleranceMs = options.clockToleranceMs ?? 30_000;
    this.#maxTokenLength = options.maxTokenLength ?? 16_384;
    this.#now = options.now ?? Date.now;
  }

  async verify(app: ClientApp, credentials: Credentials): Promise<AuthResult> {
    try {
      return await this.#verify(app, credentials);
    } catch {
      return { ok: false, reason: 'token verification failed' };
    }
  }

  async #verify(app: ClientApp, credentials: Credentials): Promise<AuthResult> {
    const auth = app.auth;
    if (auth?.type !== 'jwt') return { ok: false, reason: 'app has no jwt auth' };
    if (typeof credentials.token !== 'string' || credentials.token.length === 0) return { ok: false, reason: 'no token' };
    const userClaim = auth.userClaim ?? 'sub';
    const check = await checkJwt(credentials.token, this.#sources.for(auth), {
      issuer: auth.issuer,
      audience: auth.audience,
      maxTokenLength: this.#maxTokenLength,
      clockToleranceMs: this.#toleranceMs,
      requiredClaims: ['exp'],
      now: this.#now(),
    });
    if (!check.ok) return { ok: false, reason: check.reason };
    const claims = check.payload;
    const events = claims['events'];
    if (typeof events === 'object' && events !== null && BACKCHANNEL_LOGOUT_EVENT in events) return { ok: false, reason: 'a logout token is not a login' };
    const user = claims[userClaim];
    if (user === undefined) return { ok: false, reason: `user claim "${userClaim}" missing` };
    if (user !== credentials.userId) return { ok: false, reason: `user claim "${userClaim}" does not match userId` };
    return { ok: true, expiresAt: (claims.exp as number) * 1000, claims };
  }
}
