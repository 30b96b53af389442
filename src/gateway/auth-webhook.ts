/**
 * AuthVerifier over HTTP: POST {appId, userId, token} to the app's authUrl and accept only
 * `{"isAuthenticated": true}` (a real boolean). Timeouts, refusals, non-2xx and bad JSON all mean
 * "not authenticated" (fail closed). The token never reaches a log line.
 */
import type { AuthRequest, AuthVerifier, Logger } from '../core/ports.js';

export class WebhookAuthVerifier implements AuthVerifier {
  constructor(
    readonly timeoutMs: number,
    readonly logger: Logger,
  ) {}

  async verify(url: string, request: AuthRequest): Promise<boolean> {
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
