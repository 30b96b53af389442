/**
 * Token bucket for one connection's inbound frames: `ratePerSec` tokens a second, bursts of twice
 * that. Pure; the time comes from the caller's Clock.
 */
export class RateLimiter {
  #tokens: number;
  #lastMs: number;
  readonly #ratePerMs: number;
  readonly #capacity: number;

  /** @param ratePerSec 0 disables limiting */
  constructor(
    readonly ratePerSec: number,
    nowMs: number,
  ) {
    this.#capacity = ratePerSec * 2;
    this.#tokens = this.#capacity;
    this.#ratePerMs = ratePerSec / 1000;
    this.#lastMs = nowMs;
  }

  /** Takes one token; false when the bucket is empty (the frame must be refused). */
  take(nowMs: number): boolean {
    if (this.ratePerSec === 0) return true;
    const elapsed = nowMs - this.#lastMs;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#ratePerMs);
      this.#lastMs = nowMs;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
