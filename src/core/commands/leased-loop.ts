/**
 * LeasedLoop: work that runs once per period on exactly one node of the cluster, under a lease
 * (a user's job, an app's version poll). The holder renews before every turn and runs only when
 * the renewal succeeded (fencing: a node that was paused and lost the lease does not run); the
 * others try to take it over at a short retry interval and become holder once it lapsed.
 */
import type { Clock, Lease, Scheduler } from '../ports.js';

export interface LeasedLoopOptions {
  /** Lease name (`job:<appId>:<userId>:<job>`, `version:<appId>`). */
  readonly name: string;
  /** This node's id. */
  readonly holder: string;
  readonly everyMs: number;
  readonly lease: Lease;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  /** [0, 1) */
  readonly random: () => number;
  /** One turn while held: `fence` the lease's token, `validUntil` when the lease runs out unless renewed again. */
  readonly turn: (fence: number, validUntil: number) => Promise<void>;
  /** The lease was gained (+1) or lost / given up (-1). */
  readonly held: (delta: 1 | -1, handover: boolean) => void;
  /** A lease call failed (logged and counted by the caller); the loop retries. */
  readonly failed: (err: unknown) => void;
}

/** How long past a period a lease lives: room for a late timer and a slow renewal. */
export function leaseTtlMs(everyMs: number): number {
  return everyMs + Math.min(1_000, Math.max(250, Math.floor(everyMs / 2)));
}

/** How often a node that does not hold a lease tries to take it (so a dead holder is replaced within about a TTL plus this). */
export function retryMs(everyMs: number): number {
  return Math.min(everyMs, 1_000);
}

export class LeasedLoop {
  readonly #o: LeasedLoopOptions;
  readonly #ttlMs: number;
  #token: number | undefined;
  /** Another holder was seen: the next grant is a handover. */
  #sawOther = false;
  #stopped = false;
  #cancel: (() => void) | undefined;
  /** When the next turn is due (fixed rate while held). */
  #nextAt = 0;
  /** A turn is still running: the next tick renews but does not start another one. */
  #busy = false;

  constructor(options: LeasedLoopOptions) {
    this.#o = options;
    this.#ttlMs = leaseTtlMs(options.everyMs);
  }

  get isHolder(): boolean {
    return this.#token !== undefined;
  }

  /** Starts trying after `delayMs` (jitter spreads many loops). */
  start(delayMs: number): void {
    this.#schedule(delayMs);
  }

  /** Stops the loop and gives the lease up (another node holding the user's connections takes over at once). */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    const token = this.#token;
    if (token === undefined) return Promise.resolve();
    this.#token = undefined;
    this.#o.held(-1, false);
    return this.#o.lease.release(this.#o.name, this.#o.holder, token);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#cancel = this.#o.scheduler.after(Math.max(0, ms), () => void this.#tick());
  }

  #jittered(ms: number): number {
    return ms * (0.75 + this.#o.random() * 0.5);
  }

  async #tick(): Promise<void> {
    const o = this.#o;
    if (this.#stopped) return;
    const before = o.clock();
    try {
      if (this.#token !== undefined) {
        const token = this.#token;
        const renewed = await o.lease.renew(o.name, o.holder, token, this.#ttlMs);
        if (this.#stopped) return;
        if (!renewed) {
          // Lapsed (this node was paused or slow) and maybe taken: never run on a lost lease.
          this.#token = undefined;
          this.#sawOther = true;
          o.held(-1, false);
          this.#schedule(this.#jittered(retryMs(o.everyMs)));
          return;
        }
        this.#turn(token, before + this.#ttlMs);
        this.#nextAt += o.everyMs;
        const now = o.clock();
        if (this.#nextAt <= now) this.#nextAt = now + o.everyMs; // far behind (paused): skip, never catch up
        this.#schedule(this.#nextAt - now);
        return;
      }
      const token = await o.lease.acquire(o.name, o.holder, this.#ttlMs);
      if (this.#stopped) {
        if (token !== undefined) await o.lease.release(o.name, o.holder, token);
        return;
      }
      if (token === undefined) {
        this.#sawOther = true;
        this.#schedule(this.#jittered(retryMs(o.everyMs)));
        return;
      }
      this.#token = token;
      o.held(1, this.#sawOther);
      this.#sawOther = false;
      this.#turn(token, before + this.#ttlMs);
      this.#nextAt = before + o.everyMs;
      this.#schedule(this.#nextAt - o.clock());
    } catch (err) {
      o.failed(err);
      if (this.#token !== undefined && o.clock() > before + this.#ttlMs) {
        this.#token = undefined;
        o.held(-1, false);
      }
      this.#schedule(this.#jittered(retryMs(o.everyMs)));
    }
  }

  #turn(fence: number, validUntil: number): void {
    if (this.#busy) return;
    this.#busy = true;
    this.#o
      .turn(fence, validUntil)
      .catch((err: unknown) => this.#o.failed(err))
      .finally(() => (this.#busy = false))
      .catch(() => undefined);
  }
}
