/** Requests waiting for a reply by reference (REFRESH_TOKEN → REFRESH_TOKEN_REPLY). Bounded: past `max`, add refuses. */
export class Replies<T> {
  readonly #waiting = new Map<string, { resolve: (value: T) => void; reject: (error: Error) => void }>();

  constructor(readonly max = 16) {}

  /** False when `max` requests already wait (the caller reports the refusal). */
  add(reference: string, resolve: (value: T) => void, reject: (error: Error) => void): boolean {
    if (this.#waiting.size >= this.max) return false;
    this.#waiting.set(reference, { resolve, reject });
    return true;
  }

  /** Settles the request of `reference`; false if none waits. */
  settle(reference: string, value: T): boolean {
    const w = this.#waiting.get(reference);
    if (w === undefined) return false;
    this.#waiting.delete(reference);
    w.resolve(value);
    return true;
  }

  failAll(error: Error): void {
    const all = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of all) w.reject(error);
  }
}
