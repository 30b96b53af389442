/**
 * Back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0, §2.4 and §2.6), for
 * `POST /oidc/backchannel-logout`: the app is found by the token's `iss` + `aud` among apps with jwt
 * auth; then signature (the same JWKS cache as logins), iss, aud, iat (neither too old nor in the
 * future), exp when present, jti (replay-checked in bounded memory), the logout `events` member, no
 * `nonce`, and `sub` and/or `sid`. Never rejects; never logs the token.
 */
import { decodeJwt, type JWTPayload } from 'jose';
import type { ClientApp } from '../../core/client-apps.js';
import { checkJwt } from './jwt-checks.js';
import { BACKCHANNEL_LOGOUT_EVENT, JwksSources, type JwtAuthOptions } from './jwt-auth-verifier.js';
import { ReplayCache } from './replay-cache.js';

export type LogoutResult =
  | {
      readonly ok: true;
      readonly app: ClientApp;
      readonly sub?: string;
      readonly sid?: string;
      /** The userId whose connections to close, when the app's user claim is `sub` and the token has one; else match claims with matchesLogout on every node. */
      readonly userId?: string;
    }
  | { readonly ok: false; readonly reason: string };

export interface LogoutTokenOptions extends JwtAuthOptions {
  /** Oldest `iat` accepted, ms; also how long a jti is remembered (plus the tolerance). @default 120000 */
  readonly maxLogoutTokenAgeMs?: number;
  /** Most jtis remembered (oldest forgotten first). @default 10000 */
  readonly maxRememberedJtis?: number;
}

export class BackchannelLogoutVerifier {
  readonly #apps: readonly ClientApp[];
  readonly #sources: JwksSources;
  readonly #toleranceMs: number;
  readonly #maxAgeMs: number;
  readonly #maxTokenLength: number;
  readonly #now: () => number;
  readonly #replays: ReplayCache;

  /** `apps`: every configured app (those without jwt auth are skipped). Share `sources` with the JwtAuthVerifier. */
  constructor(apps: readonly ClientApp[], options: LogoutTokenOptions, sources: JwksSources = new JwksSources(options)) {
    this.#apps = apps.filter((a) => a.auth?.type === 'jwt');
    this.#sources = sources;
    this.#toleranceMs = options.clockToleranceMs ?? 30_000;
    this.#maxAgeMs = options.maxLogoutTokenAgeMs ?? 120_000;
    this.#maxTokenLength = options.maxTokenLength ?? 16_384;
    this.#now = options.now ?? Date.now;
    this.#replays = new ReplayCache(this.#maxAgeMs + 2 * this.#toleranceMs, options.maxRememberedJtis ?? 10_000);
  }

  /** Validates the form field `logout_token`. `{ok:true}`: close the connections of `app` whose token had this sub / sid. */
  async verify(logoutToken: unknown): Promise<LogoutResult> {
    try {
      return await this.#verify(logoutToken);
    } catch {
      return { ok: false, reason: 'logout token verification failed' };
    }
  }

  async #verify(logoutToken: unknown): Promise<LogoutResult> {
    if (typeof logoutToken !== 'string' || logoutToken.length === 0) return { ok: false, reason: 'no logout_token' };
    if (logoutToken.length > this.#maxTokenLength) return { ok: false, reason: `logout_token longer than ${this.#maxTokenLength} characters` };
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(logoutToken);
    } catch {
      return { ok: false, reason: 'malformed logout_token' };
    }
    const audiences = typeof unverified.aud === 'string' ? [unverified.aud] : Array.isArray(unverified.aud) ? unverified.aud : [];
    const app = this.#apps.find((a) => a.auth!.issuer === unverified.iss && audiences.includes(a.auth!.audience));
    if (app === undefined) return { ok: false, reason: 'no app with jwt auth for this issuer and audience' };
    const auth = app.auth!;
    const now = this.#now();
    const check = await checkJwt(logoutToken, this.#sources.for(auth), {
      issuer: auth.issuer,
      audience: auth.audience,
      maxTokenLength: this.#maxTokenLength,
      clockToleranceMs: this.#toleranceMs,
      requiredClaims: ['iat', 'jti', 'events'],
      maxTokenAgeMs: this.#maxAgeMs,
      now,
    });
    if (!check.ok) return { ok: false, reason: check.reason };
    const claims = check.payload;
    const events = claims['events'];
    if (typeof events !== 'object' || events === null || Array.isArray(events)) return { ok: false, reason: 'events claim is not an object' };
    const event: unknown = (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT];
    if (typeof event !== 'object' || event === null || Array.isArray(event)) return { ok: false, reason: 'events claim lacks the back-channel logout event' };
    if ('nonce' in claims) return { ok: false, reason: 'a logout token must not contain nonce' };
    const sub = typeof claims.sub === 'string' && claims.sub.length > 0 ? claims.sub : undefined;
    const sid = typeof claims['sid'] === 'string' && claims['sid'].length > 0 ? claims['sid'] : undefined;
    if (sub === undefined && sid === undefined) return { ok: false, reason: 'logout token has neither sub nor sid' };
    if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 256) return { ok: false, reason: 'bad jti claim' };
    // Remembered only once everything else passed, so refused tokens cannot fill the cache.
    if (this.#replays.seen(`${auth.issuer}\n${claims.jti}`, now)) return { ok: false, reason: 'logout token replayed (jti already seen)' };
    const userId = sub !== undefined && (auth.userClaim ?? 'sub') === 'sub' ? sub : undefined;
    return { ok: true, app, ...(sub === undefined ? {} : { sub }), ...(sid === undefined ? {} : { sid }), ...(userId === undefined ? {} : { userId }) };
  }
}
