/**
 * AuthVerifier over HTTP for apps with `authEnabled` (contract §4): POST {appId, userId, token} to the
 * app's authUrl and accept only `{"isAuthenticated": true}` (a real boolean). Timeouts, refusals,
 * redirects, non-2xx, oversized or bad JSON all mean "not authenticated" (fail closed). The token is
 * sent to the webhook only: never logged, never in a reason. No expiry (`expiresAt` absent).
 */
import type { ClientApp } from '../../core/client-apps.js';
import type { Logger } from '../../core/ports.js';
import type { AuthResult, AuthVerifier, Credentials } from '../auth-port.js';
import { boundedFetch, FetchFailure } from '../bounded-fetch.js';

export interface WebhookAuthOptions {
  /** Whole request, ms. @default 5000 */
  readonly timeoutMs?: number;
  /** Largest answer read, bytes. @default 65536 */
  readonly maxResponseBytes?: number;
  /** Where an unreachable webhook is reported (its URL without credentials or query, and the cause; never the token). */
  readonly logger?: Logger;
}

export class WebhookAuthVerifier implements AuthVerifier {
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #logger: Logger | undefined;

  constructor(options: WebhookAuthOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#maxBytes = options.maxResponseBytes ?? 65_536;
    this.#logger = options.logger;
  }

  async verify(app: ClientApp, credentials: Credentials): Promise<AuthResult> {
    if (app.authUrl === undefined) return { ok: false, reason: 'app has no authUrl' };
    let response;
    try {
      response = await boundedFetch(app.authUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ appId: credentials.appId, userId: credentials.userId, token: credentials.token ?? null }),
        timeoutMs: this.#timeoutMs,
        maxBytes: this.#maxBytes,
      });
    } catch (err) {
      this.#logger?.warn({ appId: app.appId, url: shownUrl(app.authUrl), cause: err instanceof FetchFailure ? err.reason : 'error' }, 'auth webhook unreachable');
      return { ok: false, reason: `auth webhook ${err instanceof FetchFailure ? err.message : 'failed'}` };
    }
    if (response.status < 200 || response.status > 299) {
      this.#logger?.warn({ appId: app.appId, url: shownUrl(app.authUrl), status: response.status }, 'auth webhook refused');
      return { ok: false, reason: `auth webhook answered HTTP ${response.status}` };
    }
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      return { ok: false, reason: 'auth webhook answered no JSON' };
    }
    const isAuthenticated = typeof body === 'object' && body !== null ? (body as { isAuthenticated?: unknown }).isAuthenticated : undefined;
    if (isAuthenticated === true) return { ok: true };
    return { ok: false, reason: isAuthenticated === false ? 'auth webhook said not authenticated' : 'auth webhook answered without isAuthenticated: true' };
  }
}

/** The URL for a log line: no user, password or query (which may carry secrets). */
function shownUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(not a URL)';
  }
}
