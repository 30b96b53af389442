/**
 * Reconnect delays: exponential backoff from a minimum to a cap, with jitter so that many clients
 * dropped together do not come back together. Pure; the client owns the timer.
 */
import { CloseCode, shouldReconnect } from '../protocol/close-codes.js';

/** True when a close `code` is worth a reconnect: codes that advise it, and an expired token (4001) when `getToken` can supply a fresh one. */
export function worthReconnect(code: number, canRefreshToken: boolean): boolean {
  return shouldReconnect(code) || (code === CloseCode.TokenExpired && canRefreshToken);
}

/** Bounds of the backoff, milliseconds. */
export interface ReconnectOptions {
  /** First delay's upper bound, ms. @default 500 */
  readonly minDelayMs?: number;
  /** Largest delay, ms. @default 20000 */
  readonly maxDelayMs?: number;
}

/** Computes the delay before reconnect attempt `attempt` (0-based). */
export interface ReconnectPolicy {
  /**
   * Delay before attempt `attempt`, ms: the exponential step `min(max, min·2^attempt)` with
   * "equal jitter" — uniformly between half the step and the full step. Never below
   * `minDelayMs / 2`, never above `maxDelayMs`.
   */
  delayMs(attempt: number): number;
}

/**
 * Creates a policy. `random` returns a number in [0, 1) (injectable for tests).
 * Throws RangeError for a non-positive minimum or a cap below the minimum.
 */
export function createReconnectPolicy(options: ReconnectOptions = {}, random: () => number = Math.random): ReconnectPolicy {
  const min = options.minDelayMs ?? 500;
  const max = options.maxDelayMs ?? 20_000;
  if (!(min > 0)) throw new RangeError('reconnect.minDelayMs must be > 0');
  if (!(max >= min)) throw new RangeError('reconnect.maxDelayMs must be ≥ minDelayMs');
  return {
    delayMs(attempt: number): number {
      // 2^attempt overflows to Infinity for large attempts; min() caps it first.
      const step = Math.min(max, min * Math.pow(2, Math.max(0, attempt)));
      return Math.round(step / 2 + random() * (step / 2));
    },
  };
}
