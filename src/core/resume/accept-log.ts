/**
 * AcceptLog: exactly-once accept for resuming clients. A (user, reference) is taken once within
 * `windowMs`; a repeat (a send the SDK re-sent after a drop, not knowing whether it was taken) is
 * answered with the first MESSAGE_ACCEPTED instead of being routed again, or waits for it while
 * the first is still being committed. Bounded: at most `maxEntries` (user, reference) pairs per
 * node; past it the oldest are forgotten early. Only this node's sends are known (docs/protocol.md).
 */
const ACCEPTED_PREFIX = '{"type":"MESSAGE_ACCEPTED"';
const ERROR_PREFIX = '{"type":"ERROR"';

interface Entry {
  readonly at: number;
  /** The first MESSAGE_ACCEPTED, once written. */
  frame: string | undefined;
  /** Repeats waiting for it. */
  waiters: Array<(frame: string) => void> | undefined;
}

export type Admission = { readonly kind: 'new' } | { readonly kind: 'answered'; readonly frame: string } | { readonly kind: 'waiting' };

export class AcceptLog {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly windowMs: number,
    readonly maxEntries: number,
    readonly clock: () => number,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** A MESSAGE with `reference` from `userId`: new (route it), answered (write `frame`), or waiting (`answer` runs once accepted). */
  admit(userId: string, reference: string, answer: (frame: string) => void): Admission {
    const key = `${userId}\n${reference}`;
    const now = this.clock();
    this.#expire(now);
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      if (entry.frame !== undefined) return { kind: 'answered', frame: entry.frame };
      (entry.waiters ??= []).push(answer);
      return { kind: 'waiting' };
    }
    this.#entries.set(key, { at: now, frame: undefined, waiters: undefined });
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    return { kind: 'new' };
  }

  /** A frame written to `userId`: a MESSAGE_ACCEPTED settles its entry; an ERROR for a reference forgets it (a refusal is not remembered). */
  observe(userId: string, frame: string | Uint8Array): void {
    if (typeof frame !== 'string') return;
    const accepted = frame.startsWith(ACCEPTED_PREFIX);
    if (!accepted && !frame.startsWith(ERROR_PREFIX)) return;
    let reference: unknown;
    try {
      const parsed = JSON.parse(frame) as { data?: { reference?: unknown } };
      reference = parsed.data?.reference;
    } catch {
      return;
    }
    if (typeof reference !== 'string') return;
    const key = `${userId}\n${reference}`;
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.frame !== undefined) return;
    const waiters = entry.waiters ?? [];
    entry.waiters = undefined;
    if (accepted) entry.frame = frame;
    else this.#entries.delete(key);
    for (const w of waiters) w(frame);
  }

  #expire(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (now - entry.at <= this.windowMs) return;
      // A pending one keeps its waiters: left until it settles, unless the bound pushes it out.
      if (entry.frame === undefined && entry.waiters !== undefined) return;
      this.#entries.delete(key);
    }
  }
}
