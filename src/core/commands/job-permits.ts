/**
 * JobPermits: at most `limit` runs of one job at a time on this node (across users), so a slow or
 * failing backend is never flooded. Waiters queue in order; one that waited past its deadline is
 * dropped (its turn is skipped). The queue holds at most one entry per user's job (each loop has
 * one turn at a time), so it is bounded by the number of users.
 */
import type { Clock } from '../ports.js';

interface Waiter {
  readonly deadline: number;
  readonly grant: (granted: boolean) => void;
}

export class JobPermits {
  #active = 0;
  readonly #waiters: Waiter[] = [];
  #head = 0;

  constructor(
    readonly limit: number,
    readonly clock: Clock,
  ) {}

  get active(): number {
    return this.#active;
  }

  /** Resolves true with a permit (call `release` after), or false when none came before `deadline`. */
  take(deadline: number): Promise<boolean> {
    if (this.#active < this.limit) {
      this.#active++;
      return Promise.resolve(true);
    }
    return new Promise((grant) => this.#waiters.push({ deadline, grant }));
  }

  release(): void {
    this.#active--;
    const now = this.clock();
    while (this.#head < this.#waiters.length && this.#active < this.limit) {
      const w = this.#waiters[this.#head++]!;
      if (w.deadline < now) {
        w.grant(false);
        continue;
      }
      this.#active++;
      w.grant(true);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
