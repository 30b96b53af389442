// Group commit for the PostgreSQL store: queues appends and sends them as batches (one INSERT
// each), several batches in flight at once but never two holding the same recipient, so that per
// recipient entries commit in the order their appends were issued. No SQL here; `send` does it.
import type { StoredEntry } from '../../core/ports.js';

export interface AppendBatcherOptions {
  /** Most entries in one batch (an append larger than this goes alone). */
  readonly maxBatch: number;
  /** Most entries waiting; past it `append` refuses at once. */
  readonly maxQueued: number;
  /** Most batches in flight at once. */
  readonly maxInFlight: number;
  /** Stores one batch in one statement; rejects if none of it was stored. */
  readonly send: (entries: readonly StoredEntry[]) => Promise<void>;
}

interface Queued {
  readonly entries: readonly StoredEntry[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class AppendBatcher {
  readonly #options: AppendBatcherOptions;
  #queue: Queued[] = [];
  #queued = 0;
  #inFlight = 0;
  /** Recipients of the batches in flight (with how many batches hold each). */
  readonly #busy = new Map<string, number>();
  #scheduled = false;
  #idle: (() => void)[] = [];

  constructor(options: AppendBatcherOptions) {
    this.#options = options;
  }

  /** Entries waiting for a batch (not counting those in flight). */
  get queued(): number {
    return this.#queued;
  }

  /** Resolves once the batch holding `entries` committed; rejects with the batch's error; `undefined` when the queue is full. */
  append(entries: readonly StoredEntry[]): Promise<void> | undefined {
    if (this.#queued + entries.length > this.#options.maxQueued) return undefined;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ entries, resolve, reject });
      this.#queued += entries.length;
      if (this.#scheduled) return;
      this.#scheduled = true;
      // One turn of the event loop first, so that appends issued together share a batch.
      setImmediate(() => {
        this.#scheduled = false;
        this.#pump();
      });
    });
  }

  /** Resolves when nothing is queued or in flight. */
  whenIdle(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#inFlight < this.#options.maxInFlight && this.#queue.length > 0) {
      const batch = this.#take();
      if (batch.length === 0) break; // everything waiting shares a recipient with a batch in flight
      this.#dispatch(batch);
    }
    if (this.#queue.length === 0 && this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Takes appends in queue order, skipping (with every later one of the same recipient) those whose recipient is busy. */
  #take(): Queued[] {
    const blocked = new Set(this.#busy.keys());
    const batch: Queued[] = [];
    const kept: Queued[] = [];
    let size = 0;
    for (const q of this.#queue) {
      const full = batch.length > 0 && size + q.entries.length > this.#options.maxBatch;
      if (full || q.entries.some((e) => blocked.has(e.to))) {
        for (const e of q.entries) blocked.add(e.to);
        kept.push(q);
        continue;
      }
      batch.push(q);
      size += q.entries.length;
    }
    this.#queue = kept;
    this.#queued -= size;
    return batch;
  }

  #dispatch(batch: readonly Queued[]): void {
    const entries = batch.length === 1 ? batch[0]!.entries : batch.flatMap((q) => q.entries);
    const recipients = new Set(entries.map((e) => e.to));
    for (const r of recipients) this.#busy.set(r, (this.#busy.get(r) ?? 0) + 1);
    this.#inFlight++;
    const settle = (error: unknown, ok: boolean): void => {
      for (const r of recipients) {
        const left = this.#busy.get(r)! - 1;
        if (left === 0) this.#busy.delete(r);
        else this.#busy.set(r, left);
      }
      this.#inFlight--;
      for (const q of batch) {
        if (ok) q.resolve();
        else q.reject(error);
      }
      this.#pump();
    };
    this.#options.send(entries).then(
      () => settle(undefined, true),
      (error: unknown) => settle(error, false),
    );
  }
}
