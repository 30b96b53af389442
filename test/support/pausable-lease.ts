/**
 * A Lease wrapper for one in-process node: `pause()` makes its calls hang (a SIGSTOPped or dead
 * node: it neither renews nor runs), `resume()` lets them through late, as a woken process would.
 */
import type { Lease } from '../../src/core/ports.js';

export class PausableLease implements Lease {
  readonly name: string;
  #paused = false;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly inner: Lease) {
    this.name = inner.name;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const go of this.#waiting.splice(0)) go();
  }

  async #gate(): Promise<void> {
    if (this.#paused) await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  start(): Promise<void> {
    return this.inner.start();
  }
  close(): Promise<void> {
    this.resume();
    return this.inner.close();
  }
  isReady(): boolean {
    return this.inner.isReady();
  }
  async acquire(name: string, holder: string, ttlMs: number): Promise<number | undefined> {
    await this.#gate();
    return this.inner.acquire(name, holder, ttlMs);
  }
  async renew(name: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    await this.#gate();
    return this.inner.renew(name, holder, token, ttlMs);
  }
  async release(name: string, holder: string, token: number): Promise<void> {
    await this.#gate();
    return this.inner.release(name, holder, token);
  }
}
