/**
 * Remembers ids (a logout token's iss + jti) for a while, to refuse a second use. Bounded: at most
 * `maxEntries` ids; past it the oldest is forgotten first (documented: an id evicted before its
 * time could be replayed, which takes more than maxEntries fresh tokens within the window). Pure:
 * time comes from the caller.
 */
export class ReplayCache {
  /** Insertion order is expiry order (one TTL for all), so the first entry is always the oldest. */
  readonly #expiresAt = new Map<string, number>();

  constructor(
    /** How long an id is remembered, ms. */
    readonly ttlMs: number,
    /** Most ids remembered. @default 10000 */
    readonly maxEntries = 10_000,
  ) {}

  get size(): number {
    return this.#expiresAt.size;
  }

  /** True when `id` was already seen within the TTL; otherwise remembers it and returns false. */
  seen(id: string, now: number): boolean {
    this.#prune(now);
    if (this.#expiresAt.has(id)) return true;
    this.#expiresAt.set(id, now + this.ttlMs);
    while (this.#expiresAt.size > this.maxEntries) {
      const oldest = this.#expiresAt.keys().next().value as string;
      this.#expiresAt.delete(oldest);
    }
    return false;
  }

  #prune(now: number): void {
    for (const [id, expiresAt] of this.#expiresAt) {
      if (expiresAt > now) return;
      this.#expiresAt.delete(id);
    }
  }
}
