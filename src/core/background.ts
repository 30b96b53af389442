/**
 * Background: store, bus and presence work issued without a caller waiting for it (status updates,
 * confirmations, unsubscribes). Failures are logged and counted once here; shutdown waits for all
 * of it to settle.
 */
import type { Logger, Metrics } from './ports.js';

export class Background {
  readonly #work = new Set<Promise<unknown>>();

  constructor(
    readonly logger: Logger,
    readonly metrics: Metrics,
  ) {}

  /** Work issued and not yet settled (a queue depth). */
  get size(): number {
    return this.#work.size;
  }

  /** Runs `work` in the background; a failure is reported as `backend`'s. */
  readonly track = (work: Promise<unknown>, backend: string): void => {
    const p = work.catch((err: unknown) => this.failed(backend, err));
    this.#work.add(p);
    void p.finally(() => this.#work.delete(p));
  };

  /** A backend operation failed: counted and logged (the error, never message content). */
  failed(backend: string, err: unknown): void {
    this.metrics.backendError(backend);
    this.logger.error({ backend, err }, 'backend operation failed');
  }

  /** Resolves once everything issued so far, and anything `before` issues each round, has settled. */
  async settle(before: () => void): Promise<void> {
    for (;;) {
      before();
      if (this.#work.size === 0) return;
      await Promise.allSettled([...this.#work]);
    }
  }
}
