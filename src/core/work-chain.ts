/**
 * A connection's ordered work: its messages (a FAST message sent after a RELIABLE one that is
 * still being committed waits for it, so one sender's messages keep their order, contract rule 6)
 * and, on a chain of their own, its fetches. No I/O.
 */
import type { OrderedWork } from './routing/router.js';

export class WorkChain {
  /**
   * Tail of this connection's ordered work: a FAST message sent after a RELIABLE one that is still
   * being committed waits for it, so one sender's messages keep their order (contract rule 6).
   */
  #tail: Promise<void> | null = null;
  #tailLength = 0;
  /** Tail of the fetches (null until the first). */
  #fetchChain: Promise<void> | null = null;

  /** Some ordered work has not run yet: a FAST message must queue behind it. */
  get busy(): boolean {
    return this.#tail !== null;
  }

  /**
   * Runs `work.after` once everything queued before it on this connection has run. `work.ready`
   * is what must settle first (a store commit); FAST work has none and runs at once when the
   * tail is empty.
   */
  ordered(work: OrderedWork): void {
    const { ready, after } = work;
    const tail = this.#tail;
    if (tail === null && ready === undefined) {
      after(true);
      return;
    }
    // What must settle first: the commit alone when nothing waits ahead; else the tail, then the commit.
    let first: Promise<unknown>;
    if (tail === null) first = ready!;
    else if (ready === undefined) first = tail;
    else {
      // A commit that fails while the tail still waits is handled when the tail gets to it.
      ready.catch(() => undefined);
      first = tail.then(() => ready);
    }
    this.#tailLength++;
    const settle = (ok: boolean): void => {
      if (--this.#tailLength === 0) this.#tail = null;
      after(ok);
    };
    this.#tail = first.then(
      () => settle(true),
      () => settle(false),
    );
  }

  chainFetch(fetch: () => Promise<void>): void {
    this.#fetchChain = (this.#fetchChain ?? Promise.resolve()).then(fetch);
  }
}
