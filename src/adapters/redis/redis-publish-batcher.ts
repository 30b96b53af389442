// Coalesces the deliveries published on one Redis channel during one turn of the event loop into
// one PUBLISH of a JSON array (seed 004's batching, for any channel: a node's channel, `all`).
// Order per channel is kept: batches of a channel leave in the order they were opened.

interface Batch {
  readonly payloads: string[];
  bytes: number;
  readonly promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class PublishBatcher {
  readonly #send: (name: string, payload: string) => Promise<unknown>;
  readonly #maxDeliveries: number;
  readonly #maxBytes: number;
  readonly #open = new Map<string, Batch>();
  #timer: NodeJS.Immediate | undefined;

  /** `send` publishes one payload; a batch holds at most `maxDeliveries` deliveries and about `maxBytes` of text. */
  constructor(send: (name: string, payload: string) => Promise<unknown>, maxDeliveries: number, maxBytes: number) {
    this.#send = send;
    this.#maxDeliveries = maxDeliveries;
    this.#maxBytes = maxBytes;
  }

  /** Adds one delivery's JSON; resolves when the PUBLISH carrying it was answered. */
  add(name: string, payload: string): Promise<void> {
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
    this.#timer ??= setImmediate(() => this.flushAll());
    return batch.promise;
  }

  /** Sends every open batch now. */
  flushAll(): void {
    if (this.#timer !== undefined) clearImmediate(this.#timer);
    this.#timer = undefined;
    for (const [name, batch] of this.#open) this.#flush(name, batch);
  }

  #flush(name: string, batch: Batch): void {
    this.#open.delete(name);
    const payload = batch.payloads.length === 1 ? (batch.payloads[0] as string) : `[${batch.payloads.join(',')}]`;
    this.#send(name, payload).then(batch.resolve, batch.reject);
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
