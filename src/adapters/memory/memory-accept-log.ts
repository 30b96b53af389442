// In-process AcceptLog: one node's (or in-process nodes sharing one instance) exactly-once accept.
import type { AcceptLog, AcceptLogTimes, AcceptTake, Clock } from '../../core/ports.js';
import type { UserId } from '../../core/ids.js';

interface Entry {
  /** Expiry (the clock's ms): pending ones after pendingMs, accepted ones after windowMs. */
  until: number;
  /** The first MESSAGE_ACCEPTED, once settled. */
  frame: string | undefined;
  /** Takes waiting for it. */
  waiters: Array<(take: AcceptTake) => void>;
}

export interface MemoryAcceptLogOptions extends AcceptLogTimes {
  /** Most pairs kept; past it the oldest are forgotten early (a repeat of one is routed again). @default 200000 */
  readonly maxEntries?: number;
  /** @default Date.now */
  readonly clock?: Clock;
}

export class MemoryAcceptLog implements AcceptLog {
  readonly name = 'memory';
  readonly #entries = new Map<string, Entry>();
  readonly #windowMs: number;
  readonly #pendingMs: number;
  readonly #waitMs: number;
  readonly #max: number;
  readonly #clock: Clock;
  #ready = false;

  constructor(options: MemoryAcceptLogOptions = {}) {
    this.#windowMs = options.windowMs ?? 120_000;
    this.#pendingMs = options.pendingMs ?? 30_000;
    this.#waitMs = options.waitMs ?? 5_000;
    this.#max = options.maxEntries ?? 200_000;
    this.#clock = options.clock ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  start(): Promise<void> {
    this.#ready = true;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#ready = false;
    for (const entry of this.#entries.values()) for (const w of entry.waiters.splice(0)) w({ kind: 'pending' });
    return Promise.resolve();
  }

  isReady(): boolean {
    return this.#ready;
  }

  take(userId: UserId, reference: string): Promise<AcceptTake> {
    const key = `${userId}\n${reference}`;
    const now = this.#clock();
    this.#expire(now);
    let entry = this.#entries.get(key);
    if (entry !== undefined && entry.until <= now) {
      this.#drop(key, entry);
      entry = undefined;
    }
    if (entry === undefined) {
      this.#entries.set(key, { until: now + this.#pendingMs, frame: undefined, waiters: [] });
      if (this.#entries.size > this.#max) {
        const [oldKey, old] = this.#entries.entries().next().value!;
        this.#drop(oldKey, old);
      }
      return Promise.resolve({ kind: 'new' });
    }
    if (entry.frame !== undefined) return Promise.resolve({ kind: 'answered', frame: entry.frame });
    const waiting = entry;
    return new Promise((resolve) => {
      const answer = (take: AcceptTake): void => {
        clearTimeout(timer);
        resolve(take);
      };
      // Wakes at the wait bound, or when the pending entry runs out first (its taker never settled): then this take routes.
      const timer = setTimeout(() => {
        waiting.waiters = waiting.waiters.filter((w) => w !== answer);
        if (this.#entries.get(key) === waiting && waiting.frame === undefined && waiting.until <= this.#clock()) {
          this.#entries.delete(key);
          this.#entries.set(key, { until: this.#clock() + this.#pendingMs, frame: undefined, waiters: waiting.waiters.splice(0) });
          resolve({ kind: 'new' });
        } else resolve({ kind: 'pending' });
      }, Math.max(0, Math.min(this.#waitMs, waiting.until - now)));
      waiting.waiters.push(answer);
    });
  }

  settle(userId: UserId, reference: string, frame: string): Promise<void> {
    const key = `${userId}\n${reference}`;
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.frame !== undefined) return Promise.resolve();
    entry.frame = frame;
    entry.until = this.#clock() + this.#windowMs;
    // Kept in expiry order: a settled entry moves to the end.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    for (const w of entry.waiters.splice(0)) w({ kind: 'answered', frame });
    return Promise.resolve();
  }

  forget(userId: UserId, reference: string): Promise<void> {
    const key = `${userId}\n${reference}`;
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.frame === undefined) this.#drop(key, entry);
    return Promise.resolve();
  }

  /** Waiters of a dropped pending entry take it over: the first routes, the others wait again. */
  #drop(key: string, entry: Entry): void {
    this.#entries.delete(key);
    const waiters = entry.waiters.splice(0);
    if (waiters.length === 0) return;
    const [first, ...rest] = waiters;
    const now = this.#clock();
    this.#entries.set(key, { until: now + this.#pendingMs, frame: undefined, waiters: rest });
    first!({ kind: 'new' });
  }

  #expire(now: number): void {
    // Oldest first, roughly: stops at the first entry still alive (bounded work per call).
    let n = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.until > now || n++ > 100) return;
      this.#drop(key, entry);
    }
  }
}
