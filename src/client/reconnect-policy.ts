/**
 * Reconnect delays: exponential backoff from a minimum to a low cap with full jitter, so that many
 * clients dropped together come back spread out and none waits long once the server is back; and
 * the server's own word when it gives one (HTTP 503 with Retry-After at the upgrade, close 1013).
 * Pure; the client owns the timer.
 */
import { CloseCode, shouldReconnect } from '../protocol/close-codes.js';

/** True when a close `code` is worth a reconnect: codes that advise it, and an expired token (4001) when `getToken` can supply a fresh one. */
export function worthReconnect(code: number, canRefreshToken: boolean): boolean {
  return shouldReconnect(code) || (code === CloseCode.TokenExpired && canRefreshToken);
}

/** Bounds of the backoff, milliseconds. */
export interface ReconnectOptions {
  /** First step, ms: the first delay is between half of it and all of it; later delays never go below half of it. @default 500 */
  readonly minDelayMs?: number;
  /** Largest step, ms (the server's Retry-After may ask for longer). @default 5000 */
  readonly maxDelayMs?: number;
}

/** What the server said about the failed attempt. */
export interface ServerAdvice {
  /** The close code (1006 for an attempt that never opened). */
  readonly code?: number | undefined;
  /** HTTP status of a refused upgrade, where the WebSocket implementation exposes it (Node's `ws`; never a browser). */
  readonly status?: number | undefined;
  /** The refusal's Retry-After, ms. */
  readonly retryAfterMs?: number | undefined;
}

/** The server refused the attempt for now: close 1013, or an upgrade answered 503 or 429. */
export function serverBusy(advice: ServerAdvice): boolean {
  return advice.code === CloseCode.TryAgainLater || advice.status === 503 || advice.status === 429;
}

/** Longest Retry-After honoured, ms: a larger (or absurd) value is cut to this. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Computes the delay before reconnect attempt `attempt` (0-based). */
export interface ReconnectPolicy {
  /**
   * Delay before attempt `attempt`, ms.
   * - Retry-After R given: R (at least `minDelayMs / 2`, at most {@link MAX_RETRY_AFTER_MS}) plus
   *   up to half of it again, uniformly.
   * - The server said "busy" without a time (close 1013, HTTP 503 or 429 without Retry-After):
   *   uniformly between half the cap and the cap.
   * - Otherwise "full jitter" with a floor: uniformly between `minDelayMs / 2` and the exponential
   *   step `min(maxDelayMs, minDelayMs·2^attempt)`.
   */
  delayMs(attempt: number, advice?: ServerAdvice): number;
}

/**
 * Creates a policy. `random` returns a number in [0, 1) (injectable for tests).
 * Throws RangeError for a non-positive minimum or a cap below the minimum.
 */
export function createReconnectPolicy(options: ReconnectOptions = {}, random: () => number = Math.random): ReconnectPolicy {
  const min = options.minDelayMs ?? 500;
  const max = options.maxDelayMs ?? 5_000;
  if (!(min > 0)) throw new RangeError('reconnect.minDelayMs must be > 0');
  if (!(max >= min)) throw new RangeError('reconnect.maxDelayMs must be ≥ minDelayMs');
  const floor = min / 2;
  const between = (low: number, high: number): number => Math.round(low + random() * (high - low));
  return {
    delayMs(attempt: number, advice: ServerAdvice = {}): number {
      const asked = advice.retryAfterMs;
      if (asked !== undefined && asked >= 0) {
        const base = Math.min(MAX_RETRY_AFTER_MS, Math.max(floor, asked));
        return between(base, base * 1.5);
      }
      if (serverBusy(advice)) return between(max / 2, max);
      // 2^attempt overflows to Infinity for large attempts; min() caps it first.
      return between(floor, Math.min(max, min * Math.pow(2, Math.max(0, attempt))));
    },
  };
}

/** A Retry-After header value (delta-seconds or an HTTP date) in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | readonly string[] | undefined, now: number = Date.now()): number | undefined {
  const text = (typeof value === 'string' ? value : value?.[0])?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date ends in GMT (RFC 9110 §5.6.7); other text (a negative or fractional number) is not read as a date.
  const at = text.endsWith('GMT') ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
