/**
 * Inbound: what the client has received in its resume session. Numbered frames (`seq`) must come
 * in order: a repeat is dropped, a gap means the connection is broken. Acknowledgements are
 * batched: one ACK per `ackDelayMs`, or at once after `ackEvery` frames. Message ids seen lately
 * are remembered (bounded), so that a message delivered again is shown to the app once.
 */

/** A bounded set: keeps the last `max` ids added. */
export class SeenIds {
  #ids = new Set<string>();
  #old = new Set<string>();

  constructor(readonly max: number) {}

  /** True when `id` was seen; remembers it otherwise. */
  check(id: string): boolean {
    if (this.#ids.has(id) || this.#old.has(id)) return true;
    this.#ids.add(id);
    // Two generations: the older is dropped whole once the newer is full.
    if (this.#ids.size >= this.max) {
      this.#old = this.#ids;
      this.#ids = new Set();
    }
    return false;
  }
}

export type SeqVerdict = 'new' | 'repeat' | 'gap';

export class Inbound {
  /** Highest `seq` received in order. */
  lastSeq = 0;
  /** Frames dropped as repeats (replayed twice: should stay 0). */
  repeats = 0;
  #acked = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly ackDelayMs: number,
    readonly ackEvery: number,
    /** Writes an ACK; false when it could not be written. */
    readonly sendAck: (seq: number) => void,
  ) {}

  /** A new session (or a resumed one at `seq`). */
  reset(seq: number): void {
    this.lastSeq = seq;
    this.#acked = seq;
    this.stop();
  }

  /** A numbered frame arrived. */
  take(seq: number): SeqVerdict {
    if (seq <= this.lastSeq) {
      this.repeats++;
      return 'repeat';
    }
    if (seq !== this.lastSeq + 1) return 'gap';
    this.lastSeq = seq;
    if (seq - this.#acked >= this.ackEvery) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.ackDelayMs);
    return 'new';
  }

  /** Acknowledges everything received now. */
  flush(): void {
    this.stop();
    if (this.lastSeq === this.#acked) return;
    this.#acked = this.lastSeq;
    this.sendAck(this.lastSeq);
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
