// In-process Lease: one holder per name with a fencing token. No I/O; share one instance
// between in-process nodes to get cluster-wide answers.
import type { Clock, Lease } from '../../core/ports.js';

export interface MemoryLeaseOptions {
  /**
   * Time source for lease ends.
   * @default Date.now
   */
  readonly clock?: Clock;
}

/**
 * Lease in process memory. Each call runs to completion in one step, so each change is atomic.
 * Tokens come from one counter per name that only grows, and a new token is drawn on every
 * grant to a free or expired name (also to the same holder after its lease lapsed).
 */
export class MemoryLease implements Lease {
  readonly name = 'memory';
  readonly #clock: Clock;
  readonly #held = new Map<string, { holder: string; token: number; expiresAt: number }>();
  /** Last token drawn per name; kept after release so tokens never repeat. */
  readonly #tokens = new Map<string, number>();
  #ready = false;

  constructor(options: MemoryLeaseOptions = {}) {
    this.#clock = options.clock ?? Date.now;
  }

  start(): Promise<void> {
    this.#ready = true;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#ready = false;
    return Promise.resolve();
  }

  isReady(): boolean {
    return this.#ready;
  }

  acquire(name: string, holder: string, ttlMs: number): Promise<number | undefined> {
    const now = this.#clock();
    const held = this.#held.get(name);
    if (held !== undefined && held.expiresAt > now) {
      if (held.holder !== holder) return Promise.resolve(undefined);
      held.expiresAt = now + ttlMs;
      return Promise.resolve(held.token);
    }
    const token = (this.#tokens.get(name) ?? 0) + 1;
    this.#tokens.set(name, token);
    this.#held.set(name, { holder, token, expiresAt: now + ttlMs });
    return Promise.resolve(token);
  }

  renew(name: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    const now = this.#clock();
    const held = this.#held.get(name);
    if (held === undefined || held.expiresAt <= now || held.holder !== holder || held.token !== token) return Promise.resolve(false);
    held.expiresAt = now + ttlMs;
    return Promise.resolve(true);
  }

  release(name: string, holder: string, token: number): Promise<void> {
    const held = this.#held.get(name);
    if (held?.holder === holder && held.token === token) this.#held.delete(name);
    return Promise.resolve();
  }
}
