/**
 * Token bucket for one connection's inbound frames: `ratePerSec` tokens a second, bursts of twice
 * that. Pure; the time comes from the caller's Clock. `borrow` (backpressure: the caller stops
 * reading while in debt) or `take` (refusal: for a transport that cannot stop reading).
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
    this.#refill(nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /**
   * Takes one token even from an empty bucket (the frame was already read and is processed): the
   * bucket goes into debt. Returns 0 while the rate is kept, else the ms until the bucket holds a
   * whole token again, for which the caller stops reading.
   */
  borrow(nowMs: number): number {
    if (this.ratePerSec === 0) return 0;
    this.#refill(nowMs);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((1 - this.#tokens) / this.#ratePerMs);
  }

  #refill(nowMs: number): void {
    const elapsed = nowMs - this.#lastMs;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#ratePerMs);
      this.#lastMs = nowMs;
    }
  }
}
