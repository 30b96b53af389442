import type { Clock, Metrics, Scheduler } from './ports.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Transport } from './transport.js';

/**
 * Backpressure on one connection's inbound frames: over its rate (or while a recipient of its
 * messages is slow), the connection's socket stops being read and is read again once the reason
 * has passed. Frames already read keep being processed in order: nothing is refused or reordered,
 * and since an unread socket fills the TCP window the sender itself is slowed down.
 *
 * A transport without pause/resume cannot be slowed: for it, a frame over the rate is refused
 * (`admit` returns false, the caller answers RATE_LIMITED).
 */
/** How often a sender held behind a slow reader looks again. */
const HOLD_STEP_MS = 50;

/** Why reading stopped: over its rate, or sending to a reader that is backlogged. */
export type PauseReason = 'rate' | 'slow_reader';

export class ReadThrottle {
  /** When reading resumes (ms since the epoch); 0: reading. */
  #resumeAt = 0;
  #cancel: (() => void) | undefined;
  /** While true, reading stays stopped (see holdWhile). */
  #blocked: (() => boolean) | undefined;

  constructor(
    private readonly wire: Transport,
    private readonly scheduler: Scheduler,
    private readonly clock: Clock,
    private readonly limiter: RateLimiter | undefined,
    /** Told of every pause (with its reason) and of its end (resume or close). */
    private readonly metrics?: Pick<Metrics, 'readPaused' | 'readResumed'>,
  ) {}

  /** Whether the socket is not being read right now. */
  get paused(): boolean {
    return this.#resumeAt !== 0;
  }

  /** One frame read: true to process it; false only when over the rate and the transport cannot pause. */
  admit(): boolean {
    const limiter = this.limiter;
    if (limiter === undefined) return true;
    const now = this.clock();
    if (this.wire.pause === undefined) return limiter.take(now);
    const waitMs = limiter.borrow(now);
    if (waitMs > 0) this.hold(waitMs, now);
    return true;
  }

  /** Stops reading for `ms` (or longer, if already held longer). No-op for a transport that cannot pause. */
  hold(ms: number, now = this.clock(), reason: PauseReason = 'rate'): void {
    if (this.wire.pause === undefined || ms <= 0) return;
    const until = now + ms;
    if (until <= this.#resumeAt) return;
    const wasReading = this.#resumeAt === 0;
    this.#resumeAt = until;
    if (!wasReading) return; // the pending timer sees the later time and waits on
    this.wire.pause();
    this.metrics?.readPaused(reason);
    this.#wait(ms);
  }

  #wait(ms: number): void {
    this.#cancel = this.scheduler.after(ms, () => {
      this.#cancel = undefined;
      const left = this.#resumeAt - this.clock();
      if (left > 0) return this.#wait(left);
      if (this.#blocked?.() === true) return this.#wait(HOLD_STEP_MS);
      this.#blocked = undefined;
      this.#resumeAt = 0;
      this.metrics?.readResumed();
      this.wire.resume?.();
    });
  }

  /**
   * Stops reading while `blocked()` (a reader this connection writes to is backlogged), checked
   * every HOLD_STEP_MS; the latest condition replaces an earlier one.
   */
  holdWhile(blocked: () => boolean): void {
    if (this.wire.pause === undefined) return;
    this.#blocked = blocked;
    this.hold(HOLD_STEP_MS, this.clock(), 'slow_reader');
  }

  /** The connection closed: no timer left behind. */
  stop(): void {
    if (this.#resumeAt !== 0) this.metrics?.readResumed();
    this.#cancel?.();
    this.#cancel = undefined;
    this.#blocked = undefined;
    this.#resumeAt = 0;
  }
}
