// Coalesces the deliveries published on one Redis channel within one flush window (see `delayMs`) into
// one PUBLISH (seed 004's batching, for any channel: a node's channel, `all`); how several encoded
// deliveries become one payload is the codec's (`join`: a JSON array, or one binary payload).
// Order per channel is kept: batches of a channel leave in the order they were opened.

import type { Redis } from 'ioredis';

/** A payload: JSON text or bytes; `length` is what the byte bound counts. */
type Payload = string | Buffer;

/**
 * One Redis: the PUBLISHes of several channels flushed together leave in one pipeline (one socket
 * write instead of one per command), in order on the one command connection; one promise per
 * pair. Not for a cluster: an ioredis cluster pipeline takes keys of one slot only.
 */
export function publishPipelined(client: Redis, list: readonly (readonly [string, Payload])[]): Promise<unknown>[] {
  const pipeline = client.pipeline();
  for (const [name, payload] of list) pipeline.publish(name, payload);
  const done = pipeline.exec();
  return list.map((_, i) =>
    done.then((results) => {
      const error = results?.[i]?.[0];
      if (results === null || error) throw error ?? new Error('redis pipeline not executed');
    }),
  );
}

/** Publishes several (channel, payload) pairs in order; one promise per pair. */
type SendAll = (list: readonly (readonly [string, Payload])[]) => Promise<unknown>[];

interface Batch {
  readonly payloads: Payload[];
  bytes: number;
  readonly promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const joinJson = (payloads: readonly Payload[]): Payload => (payloads.length === 1 ? (payloads[0] as Payload) : `[${payloads.join(',')}]`);

/** What the owner of a batcher hears once per batch, not once per delivery. */
export interface BatchHooks {
  /** A batch's PUBLISH settled, either way: this many deliveries of this many bytes are no longer pending. */
  settled?(deliveries: number, bytes: number): void;
  /** The error every caller of a failed batch gets (made once per batch). */
  failure?(error: unknown): unknown;
}

export class PublishBatcher {
  readonly #send: (name: string, payload: Payload) => Promise<unknown>;
  readonly #maxDeliveries: number;
  readonly #maxBytes: number;
  readonly #join: (payloads: readonly Payload[]) => Payload;
  readonly #sendAll: SendAll | undefined;
  readonly #open = new Map<string, Batch>();
  readonly #delayMs: number;
  #timer: NodeJS.Immediate | undefined;
  #fallback: NodeJS.Timeout | undefined;
  #lastFlushAt = -Infinity;
  readonly #hooks: BatchHooks;

  /**
   * `send` publishes one payload; a batch holds at most `maxDeliveries` deliveries and about
   * `maxBytes`; `join` makes one payload of a batch's (default: a JSON array of JSON texts);
   * `sendAll`, if given, publishes the batches of several channels flushed at the end of a turn
   * together (one socket write), in order, with one promise per batch. `delayMs` 0: a flush at the
   * end of every turn that published; more: at most one flush per `delayMs` under load (see add).
   * `hooks` hear each batch settle, so that an owner counting what is pending needs no promise of
   * its own per delivery.
   */
  constructor(send: (name: string, payload: Payload) => Promise<unknown>, maxDeliveries: number, maxBytes: number, join: (payloads: readonly Payload[]) => Payload = joinJson, sendAll?: SendAll, delayMs = 0, hooks: BatchHooks = {}) {
    this.#hooks = hooks;
    this.#delayMs = delayMs;
    this.#send = send;
    this.#maxDeliveries = maxDeliveries;
    this.#maxBytes = maxBytes;
    this.#join = join;
    this.#sendAll = sendAll;
  }

  /**
   * Adds one encoded delivery; resolves when the PUBLISH carrying it was answered. Every delivery
   * of a batch gets the batch's one promise.
   */
  add(name: string, payload: Payload): Promise<void> {
    let batch = this.#open.get(name);
    if (batch !== undefined && (batch.payloads.length >= this.#maxDeliveries || batch.bytes + payload.length > this.#maxBytes)) {
      this.#flush(name, batch);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = newBatch();
      this.#open.set(name, batch);
    }
    batch.payloads.push(payload);
    batch.bytes += payload.length;
    if (this.#timer !== undefined) return batch.promise;
    if (this.#delayMs === 0) {
      this.#timer = setImmediate(this.#flushAllNow);
      return batch.promise;
    }
    // At most one flush per delayMs: the first after a quiet spell leaves at the end of this turn;
    // later ones at the end of the first turn (woken by other work anyway) past delayMs after the
    // last flush, or by a timer at twice that when nothing else wakes this process.
    const since = performance.now() - this.#lastFlushAt;
    if (since >= this.#delayMs) this.#timer = setImmediate(this.#flushAllNow);
    else this.#fallback ??= setTimeout(this.#flushAllNow, 2 * this.#delayMs - since);
    return batch.promise;
  }

  readonly #flushAllNow = (): void => this.flushAll();

  /** Sends every open batch now. */
  flushAll(): void {
    if (this.#timer !== undefined) clearImmediate(this.#timer);
    if (this.#fallback !== undefined) clearTimeout(this.#fallback);
    this.#timer = undefined;
    this.#fallback = undefined;
    this.#lastFlushAt = performance.now();
    if (this.#sendAll !== undefined && this.#open.size > 1) {
      const batches = [...this.#open];
      this.#open.clear();
      const sent = this.#sendAll(batches.map(([name, batch]) => [name, this.#join(batch.payloads)]));
      batches.forEach(([, batch], i) => this.#settle(batch, sent[i] as Promise<unknown>));
      return;
    }
    for (const [name, batch] of this.#open) this.#flush(name, batch);
  }

  #flush(name: string, batch: Batch): void {
    this.#open.delete(name);
    this.#settle(batch, this.#send(name, this.#join(batch.payloads)));
  }

  #settle(batch: Batch, sent: Promise<unknown>): void {
    const hooks = this.#hooks;
    sent.then(
      () => {
        hooks.settled?.(batch.payloads.length, batch.bytes);
        batch.resolve();
      },
      (error: unknown) => {
        hooks.settled?.(batch.payloads.length, batch.bytes);
        batch.reject(hooks.failure === undefined ? error : hooks.failure(error));
      },
    );
  }
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Every publish in the batch gets this promise and handles it; this keeps a batch whose
  // callers all went away from surfacing as an unhandled rejection.
  promise.catch(() => undefined);
  return { payloads: [], bytes: 0, promise, resolve, reject };
}
