/**
 * The two timers of a proxied connection's session: the upstream retry and the client's grace.
 * At most one of each runs; a timer that fires is forgotten before its callback runs.
 */
export class SessionTimers {
  #retry: NodeJS.Timeout | undefined;
  #grace: NodeJS.Timeout | undefined;

  /** Calls `due` after `delayMs` (the session's scheduleRetry). */
  retryAfter(delayMs: number, due: () => void): void {
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      due();
    }, delayMs);
  }

  /** Calls `expired` after `delayMs` (the session's startGrace). */
  graceFor(delayMs: number, expired: () => void): void {
    this.#grace = setTimeout(() => {
      this.#grace = undefined;
      expired();
    }, delayMs);
  }

  cancelGrace(): void {
    clearTimeout(this.#grace);
    this.#grace = undefined;
  }

  /** The session ended: neither timer fires. */
  clear(): void {
    clearTimeout(this.#retry);
    clearTimeout(this.#grace);
    this.#retry = undefined;
    this.#grace = undefined;
  }
}
