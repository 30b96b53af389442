/**
 * KeptPresence: group commit of the presence entries kept for away master users (contract §13).
 * Transitions queue here and go to the store together — one append, so one transaction, per
 * window of `windowMs` or `maxBatch` entries — instead of one durable commit per connection (a
 * storm of logins to an app whose master is away wrote one commit each). Coalesced the way the
 * store coalesces: a newer entry for the same (master, user) replaces the queued one and moves to
 * the end. Nothing that depends on an entry runs before it is stored: a `keep` resolves only after
 * the append that holds its entry resolved (durable, as every append), and `flush` — the master's
 * fetch, shutdown — appends what is queued and resolves once everything queued before it is stored.
 * No timers of its own: the Scheduler port. No I/O: the append it is given.
 */
import type { UserId } from './ids.js';
import type { Generation, MessageStore, Scheduler, StoredPresence } from './ports.js';

export interface KeptPresenceOptions {
  /** Stores a batch (behind messages held for the same recipients: HeldMessages.append). */
  readonly append: MessageStore['append'];
  readonly scheduler: Scheduler;
  /** How long the first queued entry waits for others before the batch is appended, ms. @default 50 */
  readonly windowMs?: number;
  /** A batch this large is appended at once. @default 1000 */
  readonly maxBatch?: number;
}

/** One (master, user) pair waiting for its append: the latest entry, its transition, and who waits. */
interface Queued {
  entry: StoredPresence;
  generation: Generation;
  readonly resolve: (stored: Generation) => void;
  readonly reject: (error: unknown) => void;
  readonly promise: Promise<Generation>;
}

export class KeptPresence {
  readonly #append: MessageStore['append'];
  readonly #scheduler: Scheduler;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  /** In append order; the key is `to` and `userId`. */
  #queue = new Map<string, Queued>();
  #cancelWindow: (() => void) | undefined;
  /** Masters with an entry in the queue. */
  #queuedFor = new Set<UserId>();
  /** Appends issued and not yet settled (they never reject: their waiters get the error), with the masters of their entries. */
  readonly #inFlight = new Map<Promise<void>, ReadonlySet<UserId>>();

  constructor(options: KeptPresenceOptions) {
    this.#append = options.append;
    this.#scheduler = options.scheduler;
    this.#windowMs = options.windowMs ?? 50;
    this.#maxBatch = options.maxBatch ?? 1_000;
    if (!(this.#windowMs >= 0)) throw new RangeError(`windowMs must be >= 0, got ${this.#windowMs}`);
    if (!Number.isInteger(this.#maxBatch) || this.#maxBatch < 1) throw new RangeError(`maxBatch must be an integer >= 1, got ${this.#maxBatch}`);
  }

  /** Entries queued and not yet handed to the store (a queue depth). */
  get queued(): number {
    return this.#queue.size;
  }

  /**
   * Queues `entry` (the user's transition `generation`) and resolves, once stored, with the
   * generation of the entry the store got for this user: a newer one that replaced it in the queue
   * gives its own. Rejects with the store's error when the append failed.
   */
  keep(entry: StoredPresence, generation: Generation): Promise<Generation> {
    const key = `${entry.to}\n${entry.userId}`;
    const queued = this.#queue.get(key);
    if (queued !== undefined) {
      // Reports of one user may finish out of order; the queue keeps the latest transition.
      if (generation >= queued.generation) {
        queued.entry = entry;
        queued.generation = generation;
      }
      this.#queue.delete(key);
      this.#queue.set(key, queued);
      return queued.promise;
    }
    let resolve!: (stored: Generation) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<Generation>((res, rej) => ((resolve = res), (reject = rej)));
    this.#queue.set(key, { entry, generation, resolve, reject, promise });
    this.#queuedFor.add(entry.to);
    if (this.#queue.size >= this.#maxBatch) this.#write();
    else this.#cancelWindow ??= this.#scheduler.after(this.#windowMs, () => this.#write());
    return promise;
  }

  /**
   * Appends what is queued now (with `to`: only if an entry for master `to` is queued — a fetch
   * must not cut every window short in a reconnect storm); resolves (never rejects) once the
   * batches holding such entries settled.
   */
  async flush(to?: UserId): Promise<void> {
    if (this.#queue.size > 0 && (to === undefined || this.#queuedFor.has(to))) this.#write();
    const waits: Promise<void>[] = [];
    for (const [written, recipients] of this.#inFlight) if (to === undefined || recipients.has(to)) waits.push(written);
    await Promise.all(waits);
  }

  #write(): void {
    this.#cancelWindow?.();
    this.#cancelWindow = undefined;
    const batch = [...this.#queue.values()];
    const recipients = this.#queuedFor;
    this.#queue = new Map();
    this.#queuedFor = new Set();
    if (batch.length === 0) return;
    const written = this.#append(batch.map((q) => q.entry)).then(
      () => {
        for (const q of batch) q.resolve(q.generation);
      },
      (error: unknown) => {
        for (const q of batch) q.reject(error);
      },
    );
    this.#inFlight.set(written, recipients);
    void written.finally(() => this.#inFlight.delete(written));
  }
}
