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
        this.logger.warn({ appId: request.appId, url: shownUrl(url), status: response.status }, 'auth webhook refused');
        await response.body?.cancel();
        return false;
      }
      const body: unknown = await response.json();
      return typeof body === 'object' && body !== null && (body as { isAuthenticated?: unknown }).isAuthenticated === true;
    } catch (err) {
      this.logger.warn({ appId: request.appId, url: shownUrl(url), cause: causeOf(err, this.timeoutMs) }, 'auth webhook unreachable');
      return false;
    }
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

/** Why fetch failed, in a word an operator can act on: ECONNREFUSED, ENOTFOUND, "timeout after 5000 ms", … */
function causeOf(err: unknown, timeoutMs: number): string {
  if (!(err instanceof Error)) return 'error';
  // The parser's message quotes the body, and webhook bodies are never logged.
  if (err instanceof SyntaxError) return 'answer is not JSON';
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err.message;
}
