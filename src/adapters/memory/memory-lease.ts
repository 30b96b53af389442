// In-process Lease: one holder per name with a growing fencing token. No I/O; share one instance
// between in-process nodes to elect among them.
import type { Lease } from '../../core/ports.js';

export interface MemoryLeaseOptions {
  /** @default Date.now */
  readonly clock?: () => number;
}

interface Grant {
  holder: string;
  token: number;
  expiresAt: number;
}

/**
 * Lease in process memory. Each call runs to completion in one turn (atomic). Tokens grow by one
 * on every change of holder and are never reused, also after a release.
 */
export class MemoryLease implements Lease {
  readonly name = 'memory';
  readonly #clock: () => number;
  readonly #grants = new Map<string, Grant>();
  /** Last token handed out per name (kept after release, so tokens only grow). */
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
    const grant = this.#grants.get(name);
    if (grant !== undefined && grant.expiresAt > now) {
      if (grant.holder !== holder) return Promise.resolve(undefined);
      grant.expiresAt = now + ttlMs;
      return Promise.resolve(grant.token);
    }
    const token = (this.#tokens.get(name) ?? 0) + 1;
    this.#tokens.set(name, token);
    this.#grants.set(name, { holder, token, expiresAt: now + ttlMs });
    return Promise.resolve(token);
  }

  renew(name: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    const now = this.#clock();
    const grant = this.#grants.get(name);
    if (grant === undefined || grant.holder !== holder || grant.token !== token || grant.expiresAt <= now) return Promise.resolve(false);
    grant.expiresAt = now + ttlMs;
    return Promise.resolve(true);
  }

  release(name: string, holder: string, token: number): Promise<void> {
    const grant = this.#grants.get(name);
    if (grant !== undefined && grant.holder === holder && grant.token === token) this.#grants.delete(name);
    return Promise.resolve();
  }
}
