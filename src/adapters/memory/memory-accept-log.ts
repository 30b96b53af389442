// In-process AcceptLog: one node's (or in-process nodes sharing one instance) exactly-once accept.
import type { AcceptLog, AcceptLogTimes, AcceptTake, Clock } from '../../core/ports.js';
import type { UserId } from '../../core/ids.js';

interface Entry {
  /** Expiry of the entry (the clock's ms): windowMs after its first take, or after its settle. */
  until: number;
  /** While pending: when a repeat may take it over. */
  pendingUntil: number;
  /** The message id of the first take. */
  readonly id: string;
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
    this.#pendingMs = options.pendingMs ?? 10_000;
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

  take(userId: UserId, reference: string, id: string): Promise<AcceptTake> {
    const key = `${userId}\n${reference}`;
    const now = this.#clock();
    this.#expire(now);
    let entry = this.#entries.get(key);
    if (entry !== undefined && entry.until <= now) {
      this.#entries.delete(key);
      entry = undefined;
    }
    if (entry === undefined) {
      this.#entries.set(key, { until: now + this.#windowMs, pendingUntil: now + this.#pendingMs, id, frame: undefined, waiters: [] });
      if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
      return Promise.resolve({ kind: 'new', id });
    }
    if (entry.frame !== undefined) return Promise.resolve({ kind: 'answered', frame: entry.frame });
    if (entry.pendingUntil <= now) return Promise.resolve(this.#takeOver(entry, now));
    const waiting = entry;
    const deadline = now + this.#waitMs;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout;
      const answer = (take: AcceptTake): void => {
        clearTimeout(timer);
        resolve(take);
      };
      // Wakes at the wait bound, or when the pending entry may be taken over first. A timer can
      // fire a millisecond before the clock says its time came: then it waits on for the rest.
      const wake = (): void => {
        const at = this.#clock();
        const live = this.#entries.get(key) === waiting && waiting.frame === undefined;
        if (live && waiting.pendingUntil > at && at < deadline) {
          timer = setTimeout(wake, Math.max(1, Math.min(deadline, waiting.pendingUntil) - at));
          return;
        }
        waiting.waiters = waiting.waiters.filter((w) => w !== answer);
        resolve(live && waiting.pendingUntil <= at ? this.#takeOver(waiting, at) : { kind: 'pending' });
      };
      timer = setTimeout(wake, Math.max(0, Math.min(this.#waitMs, waiting.pendingUntil - now)));
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
    if (entry === undefined || entry.frame !== undefined) return Promise.resolve();
    this.#entries.delete(key);
    // Waiting repeats: the first takes it (with the same id), the others wait for it.
    const [first, ...rest] = entry.waiters;
    if (first !== undefined) {
      const now = this.#clock();
      this.#entries.set(key, { until: now + this.#windowMs, pendingUntil: now + this.#pendingMs, id: entry.id, frame: undefined, waiters: rest });
      first({ kind: 'new', id: entry.id });
    }
    return Promise.resolve();
  }

  #takeOver(entry: Entry, now: number): AcceptTake {
    entry.pendingUntil = now + this.#pendingMs;
    return { kind: 'new', id: entry.id };
  }

  #expire(now: number): void {
    // Oldest first, roughly: stops at the first entry still alive (bounded work per call).
    let n = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.until > now || entry.waiters.length > 0 || n++ > 100) return;
      this.#entries.delete(key);
    }
  }
}
