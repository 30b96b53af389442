/**
 * Per-message arrival counts indexed by message number, for loss and duplicate accounting.
 * A growable Uint16Array: two bytes per message, no per-message objects.
 */

/** Counts arrivals per message number; counts saturate at 65535. */
export class DeliveryCounts {
  #counts = new Uint16Array(1 << 16);

  /** Adds one arrival of message `seq` (≥ 0) and returns its new count. */
  increment(seq: number): number {
    if (seq >= this.#counts.length) this.#grow(seq);
    const next = Math.min(65_535, (this.#counts[seq] ?? 0) + 1);
    this.#counts[seq] = next;
    return next;
  }

  /** Arrivals of message `seq` so far. */
  count(seq: number): number {
    return this.#counts[seq] ?? 0;
  }

  #grow(seq: number): void {
    let size = this.#counts.length;
    while (size <= seq) size *= 2;
    const bigger = new Uint16Array(size);
    bigger.set(this.#counts);
    this.#counts = bigger;
  }
}
