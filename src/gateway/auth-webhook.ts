/**
 * AuthVerifier over HTTP: POST {appId, userId, token} to the app's authUrl and accept only
 * `{"isAuthenticated": true}` (a real boolean). Timeouts, refusals, non-2xx and bad JSON all mean
 * "not authenticated" (fail closed). The token never reaches a log line.
 */
import type { ClientApp } from '../core/client-apps.js';
import type { AuthResult, AuthVerifier, Credentials, Logger } from '../core/ports.js';

const OK: AuthResult = { ok: true };

export class WebhookAuthVerifier implements AuthVerifier {
  constructor(
    readonly timeoutMs: number,
    readonly logger: Logger,
  ) {}

  /** Apps without `authEnabled` admit every user of theirs; the others ask their webhook. */
  verify(app: ClientApp, credentials: Credentials): Promise<AuthResult> {
    if (!app.authEnabled || app.authUrl === undefined) return Promise.resolve(OK);
    return this.#ask(app.authUrl, credentials).then((ok) => (ok ? OK : { ok: false, reason: 'auth webhook said no or could not be reached' }));
  }

  async #ask(url: string, request: Credentials): Promise<boolean> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ appId: request.appId, userId: request.userId, token: request.token ?? null }),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
      if (!response.ok) {
        this.logger.warn({ appId: request.appId, status: response.status }, 'auth webhook refused');
        await response.body?.cancel();
        return false;
      }
      const body: unknown = await response.json();
      return typeof body === 'object' && body !== null && (body as { isAuthenticated?: unknown }).isAuthenticated === true;
    } catch (err) {
      const reason = err instanceof Error ? err.name : 'error';
      this.logger.warn({ appId: request.appId, reason }, 'auth webhook unreachable');
      return false;
    }
  }
}
