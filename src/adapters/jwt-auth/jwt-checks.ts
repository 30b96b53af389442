/**
 * The checks every JWT goes through here, access token or logout token: a length bound, the compact
 * shape, an asymmetric `alg` (no `none`, no HS*: an HMAC "signed" with a public key is refused before
 * any key is looked at), the signature from the issuer's JWKS, the registered claims with a clock
 * tolerance, and a bound on how deeply claims nest. Failures become short fixed phrases that never
 * quote the token or a claim value.
 */
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { KeysUnavailableError, type JwksSource } from './jwks-source.js';

/** Asymmetric JWS algorithms only (RFC 7518, RFC 8037, RFC 9864). */
export const ALLOWED_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Deepest object/array nesting accepted in claims (a depth bomb would break whoever serializes them later). */
export const MAX_CLAIMS_DEPTH = 32;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface JwtCheckOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Longest token accepted, characters. */
  readonly maxTokenLength: number;
  /** Tolerance on exp, nbf and iat, ms. */
  readonly clockToleranceMs: number;
  /** Claims that must be present besides iss and aud. */
  readonly requiredClaims: readonly string[];
  /** Oldest `iat` accepted, ms (unset: iat only checked not to be in the future). */
  readonly maxTokenAgeMs?: number;
  readonly now: number;
}

export type JwtCheck = { readonly ok: true; readonly payload: JWTPayload } | { readonly ok: false; readonly reason: string };

/** Verifies `token` against `keys` and `options`. Never rejects. */
export async function checkJwt(token: string, keys: JwksSource, options: JwtCheckOptions): Promise<JwtCheck> {
  const shape = checkShape(token, options.maxTokenLength);
  if (shape !== undefined) return { ok: false, reason: shape };
  let verified: JWTPayload;
  try {
    const { payload } = await jwtVerify(token, keys.getKey, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: [...ALLOWED_ALGORITHMS],
      clockTolerance: Math.ceil(options.clockToleranceMs / 1000),
      currentDate: new Date(options.now),
      requiredClaims: [...options.requiredClaims],
      ...(options.maxTokenAgeMs === undefined ? {} : { maxTokenAge: Math.ceil(options.maxTokenAgeMs / 1000) }),
    });
    verified = payload;
  } catch (err) {
    return { ok: false, reason: reasonFor(err) };
  }
  if (typeof verified.iat === 'number' && verified.iat * 1000 > options.now + options.clockToleranceMs) return { ok: false, reason: 'token issued in the future (iat)' };
  if (depthOf(verified) > MAX_CLAIMS_DEPTH) return { ok: false, reason: 'claims nested too deeply' };
  return { ok: true, payload: verified };
}

/** A reason when the token cannot be a compact JWS with an allowed algorithm; undefined when it may be. */
function checkShape(token: string, maxTokenLength: number): string | undefined {
  if (token.length === 0) return 'no token';
  if (token.length > maxTokenLength) return `token longer than ${maxTokenLength} characters`;
  if (!COMPACT_JWS.test(token)) return 'malformed token (not a signed compact JWT)';
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    return 'malformed token header';
  }
  if (typeof alg !== 'string' || !ALLOWED_ALGORITHMS.includes(alg)) {
    return typeof alg === 'string' && /^[A-Za-z0-9]{1,16}$/.test(alg) ? `algorithm not allowed (${alg})` : 'algorithm not allowed';
  }
  return undefined;
}

/** jose's error → a fixed phrase (jose messages are safe, but fixed phrases keep logs stable). */
function reasonFor(err: unknown): string {
  if (err instanceof KeysUnavailableError) return err.message;
  // JWTExpired is a JWTClaimValidationFailed too (claim exp, or iat past maxTokenAge).
  if (err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired) {
    switch (err.claim) {
      case 'iss':
        return 'wrong issuer';
      case 'aud':
        return 'wrong audience';
      case 'nbf':
        return 'token not yet valid (nbf)';
      case 'iat':
        return err.reason === 'check_failed' ? 'token too old or issued in the future (iat)' : 'bad iat claim';
      case 'exp':
        return err.reason === 'missing' ? 'token has no exp' : err.reason === 'check_failed' ? 'token expired' : 'bad exp claim';
      default:
        return /^[a-z_]{1,32}$/.test(err.claim) ? `claim "${err.claim}" ${err.reason === 'missing' ? 'missing' : 'invalid'}` : 'claim invalid';
    }
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key of the issuer matches the token (unknown kid)';
  if (err instanceof errors.JWKSMultipleMatchingKeys) return 'no single key of the issuer matches the token';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof errors.JOSENotSupported) return 'unsupported key or algorithm';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'malformed token';
  if (err instanceof errors.JWKSInvalid || err instanceof errors.JWKInvalid) return 'idp keys unusable';
  return 'token verification failed';
}

/** Nesting depth of a JSON value, without recursion. */
export function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const d = depth + 1;
    if (d > deepest) deepest = d;
    if (d > MAX_CLAIMS_DEPTH) return d;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d]);
  }
  return deepest;
}
