/**
 * The signing keys of one issuer: OIDC discovery (or a fixed jwksUrl), a cached JWKS, a refetch when
 * a token names a key the cache lacks, and a cooldown between fetches so that a flood of forged
 * `kid`s, or an IdP that is down, costs the IdP at most one request per cooldown. Fails closed: with
 * no usable set, every key lookup throws. Owns no timer (refetches happen on lookups).
 */
import { createLocalJWKSet, errors, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';
import type { Logger } from '../../core/ports.js';
import { boundedFetch, FetchFailure } from '../bounded-fetch.js';

type KeyLookup = ReturnType<typeof createLocalJWKSet>;

export interface JwksSourceOptions {
  /** The issuer (`iss`); discovery at `{issuer}/.well-known/openid-configuration` unless `jwksUrl` is given. */
  readonly issuer: string;
  readonly jwksUrl?: string | undefined;
  /** One discovery or JWKS request, ms. @default 5000 */
  readonly fetchTimeoutMs?: number;
  /** Least time between two fetches (unknown `kid`, failed fetch), ms. @default 30000 */
  readonly refetchCooldownMs?: number;
  /** Keys older than this are fetched again before use, ms. @default 600000 */
  readonly maxAgeMs?: number;
  /** Largest discovery document or JWKS read, bytes. @default 524288 */
  readonly maxBytes?: number;
  /** Most keys kept from one JWKS (more: the set is refused). @default 100 */
  readonly maxKeys?: number;
  /** @default Date.now */
  readonly now?: () => number;
  readonly logger: Logger;
}

/** No usable key set (IdP unreachable, garbage answer, cooldown after a failure). */
export class KeysUnavailableError extends Error {
  override readonly name = 'KeysUnavailableError';
}

export interface JwksStats {
  readonly discoveryFetches: number;
  readonly jwksFetches: number;
  /** Keys in the cached set (0: none yet). */
  readonly keys: number;
}

export class JwksSource {
  readonly #issuer: string;
  readonly #fixedJwksUrl: string | undefined;
  readonly #timeoutMs: number;
  readonly #cooldownMs: number;
  readonly #maxAgeMs: number;
  readonly #maxBytes: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #log: Logger;
  #jwksUrl: string | undefined;
  #lookup: KeyLookup | undefined;
  #keyCount = 0;
  #fetchedAt = 0;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #lastFailure: string | undefined;
  #inflight: Promise<void> | undefined;
  #discoveryFetches = 0;
  #jwksFetches = 0;

  constructor(options: JwksSourceOptions) {
    this.#issuer = options.issuer;
    this.#fixedJwksUrl = options.jwksUrl;
    this.#jwksUrl = options.jwksUrl;
    this.#timeoutMs = options.fetchTimeoutMs ?? 5_000;
    this.#cooldownMs = options.refetchCooldownMs ?? 30_000;
    this.#maxAgeMs = options.maxAgeMs ?? 600_000;
    this.#maxBytes = options.maxBytes ?? 512 * 1024;
    this.#maxKeys = options.maxKeys ?? 100;
    this.#now = options.now ?? Date.now;
    this.#log = options.logger.child({ issuer: options.issuer });
  }

  get stats(): JwksStats {
    return { discoveryFetches: this.#discoveryFetches, jwksFetches: this.#jwksFetches, keys: this.#keyCount };
  }

  /** A jose key resolver: the key for the token's header, refetching once (rate-limited) on an unknown `kid`. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): ReturnType<KeyLookup> => {
    const now = this.#now();
    if (this.#lookup === undefined || now - this.#fetchedAt >= this.#maxAgeMs) await this.#refresh(now);
    const lookup = this.#lookup;
    if (lookup === undefined) throw new KeysUnavailableError('no keys');
    try {
      return await lookup(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || now - this.#lastAttemptAt < this.#cooldownMs) throw err;
    }
    await this.#refresh(now);
    const fresh = this.#lookup;
    if (fresh === undefined) throw new KeysUnavailableError('no keys');
    return fresh(header, token);
  };

  /** One fetch at a time; none within the cooldown of the last attempt (then the last failure stands). */
  async #refresh(now: number): Promise<void> {
    if (this.#inflight !== undefined) return this.#inflight;
    if (now - this.#lastAttemptAt < this.#cooldownMs) {
      if (this.#lookup !== undefined && now - this.#fetchedAt < this.#maxAgeMs) return;
      throw new KeysUnavailableError(this.#lastFailure ?? 'keys expired; refetch cooling down');
    }
    this.#lastAttemptAt = now;
    this.#inflight = this.#fetchKeys().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetchKeys(): Promise<void> {
    try {
      const jwksUrl = this.#jwksUrl ?? (await this.#discover());
      this.#jwksFetches++;
      const body = await this.#getJson(jwksUrl, 'jwks');
      const keys = (body as { keys?: unknown }).keys;
      if (!Array.isArray(keys) || keys.length === 0) throw new KeysUnavailableError('jwks: no "keys" array');
      if (keys.length > this.#maxKeys) throw new KeysUnavailableError(`jwks: more than ${this.#maxKeys} keys`);
      if (!keys.every((k) => typeof k === 'object' && k !== null && typeof (k as { kty?: unknown }).kty === 'string')) {
        throw new KeysUnavailableError('jwks: a key without "kty"');
      }
      this.#lookup = createLocalJWKSet(body as JSONWebKeySet);
      this.#keyCount = keys.length;
      this.#fetchedAt = this.#now();
      this.#lastFailure = undefined;
      this.#log.info({ keys: keys.length }, 'jwks fetched');
    } catch (err) {
      const reason = err instanceof KeysUnavailableError || err instanceof FetchFailure ? err.message : 'jwks: unusable';
      this.#lastFailure = `idp keys unavailable: ${reason}`;
      // A discovered jwks_uri may have moved: discover again next time.
      if (this.#fixedJwksUrl === undefined) this.#jwksUrl = undefined;
      // Fail closed: stale keys past maxAge are not used once a refetch failed.
      if (this.#now() - this.#fetchedAt >= this.#maxAgeMs) {
        this.#lookup = undefined;
        this.#keyCount = 0;
      }
      this.#log.warn({ reason }, 'jwks fetch failed');
      throw new KeysUnavailableError(this.#lastFailure);
    }
  }

  async #discover(): Promise<string> {
    this.#discoveryFetches++;
    const url = `${this.#issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const doc = (await this.#getJson(url, 'discovery')) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== this.#issuer) throw new KeysUnavailableError('discovery: "issuer" differs from the configured issuer');
    if (typeof doc.jwks_uri !== 'string' || !/^https?:\/\//.test(doc.jwks_uri)) throw new KeysUnavailableError('discovery: no http(s) "jwks_uri"');
    this.#jwksUrl = doc.jwks_uri;
    return doc.jwks_uri;
  }

  async #getJson(url: string, what: string): Promise<object> {
    let response;
    try {
      response = await boundedFetch(url, { timeoutMs: this.#timeoutMs, maxBytes: this.#maxBytes, headers: { accept: 'application/json' } });
    } catch (err) {
      throw new KeysUnavailableError(`${what}: ${err instanceof FetchFailure ? err.message : 'failed'}`);
    }
    if (response.status !== 200) throw new KeysUnavailableError(`${what}: HTTP ${response.status}`);
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      throw new KeysUnavailableError(`${what}: not JSON`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new KeysUnavailableError(`${what}: not a JSON object`);
    return body;
  }
}
