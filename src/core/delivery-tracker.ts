/**
 * DeliveryTracker: RELIABLE entries written to connections and not yet proven received. The first
 * proof of receipt (a pong after the write) records DELIVERED; an entry whose connections all close
 * unproven is forgotten here and stays pending in the store for the next fetch. DELIVERED updates are
 * gathered and written once per STATUS_FLUSH_MS, one store call per user; SENT is written only for
 * an entry still unproven SENT_AFTER_MS after its write (a connection that stopped answering) or
 * forgotten unproven (its connections closed), found by a sweep once a second, so the usual
 * write-then-proof costs one status update, not two. No I/O of its own.
 */
import type { MessageId, UserId } from './ids.js';
import type { MessageStore, Scheduler } from './ports.js';
import type { Transport } from './transport.js';

/** How often gathered DELIVERED updates go to the store, ms. */
export const STATUS_FLUSH_MS = 10;

/**
 * How long an entry may wait for its proof before SENT is recorded, ms. Proofs normally come back
 * within a round trip; writing SENT for each of those only to overwrite it with DELIVERED a few
 * milliseconds later cost a store row update per message under load.
 */
export const SENT_AFTER_MS = 1_000;

interface InFlight {
  /** Connections written to and not yet settled. */
  pending: number;
  /** Proven received by one of them. */
  done: boolean;
  /** SENT has been handed to the store. */
  sent: boolean;
  /** When it was first written (the tracker's clock), for SENT_AFTER_MS. */
  readonly writtenAt: number;
}

type StatusQueue = Map<UserId, Array<[MessageId, InFlight]>>;

export interface DeliveryTrackerOptions {
  readonly store: MessageStore;
  /** Runs background store work; the owner awaits it on shutdown and reports its failures. */
  readonly track: (work: Promise<unknown>, backend: string) => void;
  /** @default Date.now */
  readonly clock?: () => number;
  readonly scheduler: Scheduler;
}

export class DeliveryTracker {
  readonly #store: MessageStore;
  readonly #track: DeliveryTrackerOptions['track'];
  readonly #clock: () => number;
  readonly #inFlight = new Map<UserId, Map<MessageId, InFlight>>();
  readonly #delivered: StatusBatch;
  /**
   * Finds entries due for SENT every SENT_AFTER_MS while any are in flight. A sweep of the
   * in-flight map rather than a queue of every write: under load nearly every entry is proven
   * within milliseconds, and queueing each for a second kept it alive long enough to be promoted
   * to the old generation, only to be dropped there.
   */
  #cancelSweep: (() => void) | undefined;
  readonly #scheduler: Scheduler;
  /** Entries forgotten unproven (their connections closed) before their SENT was written. */
  #orphans: Array<[UserId, MessageId]> = [];

  constructor(options: DeliveryTrackerOptions) {
    this.#store = options.store;
    this.#track = options.track;
    this.#clock = options.clock ?? Date.now;
    this.#scheduler = options.scheduler;
    this.#delivered = new StatusBatch(STATUS_FLUSH_MS, options.scheduler, (queue) => this.#writeDelivered(queue));
  }

  /** True while `id` is on its way to `to` (a fetch must not serve it, a live copy must not repeat it). */
  has(to: UserId, id: MessageId): boolean {
    return this.#inFlight.get(to)?.has(id) === true;
  }

  /** Ids in flight to `to`, for excluding them from a fetch. */
  inFlightIds(to: UserId): Set<MessageId> {
    return new Set(this.#inFlight.get(to)?.keys());
  }

  /** Entries in flight (a queue depth for metrics). */
  get size(): number {
    let n = 0;
    for (const perUser of this.#inFlight.values()) n += perUser.size;
    return n;
  }

  /**
   * Tracks entry `id` written to `written` connections of `to`. `onDelivered` runs once, on the
   * first proof of receipt (the hub confirms to the sender there). When it returns a promise,
   * DELIVERED waits for it: if it rejects, the entry is forgotten unmarked and stays pending in
   * the store, so the next fetch serves it (and runs `onDelivered`) again. When it returns false,
   * the entry was never stored: it is forgotten with nothing to record.
   */
  track(to: UserId, id: MessageId, written: readonly Transport[], onDelivered?: () => Promise<void> | void | false): void {
    let perUser = this.#inFlight.get(to);
    if (perUser === undefined) this.#inFlight.set(to, (perUser = new Map<MessageId, InFlight>()));
    const existing = perUser.get(id);
    const state: InFlight = existing ?? { pending: 0, done: false, sent: false, writtenAt: this.#clock() };
    state.pending += written.length;
    if (existing === undefined) {
      perUser.set(id, state);
      this.#armSweep();
    }
    for (const transport of written) {
      void transport.proveDelivery().then((proved) => {
        state.pending--;
        if (proved && !state.done) {
          state.done = true;
          // Stays excluded from fetches until DELIVERED is recorded, so no page serves it again.
          const settled = onDelivered?.();
          if (settled === undefined) this.#delivered.add(to, id, state);
          else if (settled === false) this.#forget(to, id, state);
          else this.#afterSettled(settled, to, id, state);
        } else if (state.pending === 0 && !state.done) this.#forget(to, id, state);
      });
    }
  }

  #afterSettled(settled: Promise<void>, to: UserId, id: MessageId, state: InFlight): void {
    this.#track(
      settled.then(
        () => this.#delivered.add(to, id, state),
        (err: unknown) => {
          this.#forget(to, id, state);
          throw err;
        },
      ),
      'store',
    );
  }

  /** Writes gathered status updates now (SENT for every entry still unproven). Returns false when there was nothing to write. */
  flush(): boolean {
    const delivered = this.#delivered.waiting;
    if (delivered) this.#delivered.flush();
    return this.#sweep(true) || delivered;
  }

  /**
   * SENT for the entries unproven for SENT_AFTER_MS (every unproven one when `all`) and for the
   * orphans; re-arms itself while entries are in flight. Returns whether it wrote anything.
   */
  #sweep(all: boolean): boolean {
    this.#cancelSweep?.();
    this.#cancelSweep = undefined;
    const due = this.#clock() - SENT_AFTER_MS;
    const queue = new Map<UserId, MessageId[]>();
    const add = (to: UserId, id: MessageId): void => {
      const ids = queue.get(to);
      if (ids === undefined) queue.set(to, [id]);
      else ids.push(id);
    };
    for (const [to, id] of this.#orphans) add(to, id);
    this.#orphans = [];
    for (const [to, perUser] of this.#inFlight) {
      for (const [id, state] of perUser) {
        if (state.done || state.sent || (!all && state.writtenAt > due)) continue;
        state.sent = true;
        add(to, id);
      }
    }
    for (const [to, ids] of queue) this.#track(this.#store.markSent(to, ids), 'store');
    if (this.#inFlight.size > 0) this.#armSweep();
    return queue.size > 0;
  }

  #writeDelivered(queue: StatusQueue): void {
    for (const [to, list] of queue) {
      const ids = list.map(([id]) => id);
      this.#track(
        this.#store.markDelivered(to, ids).finally(() => {
          for (const [id, state] of list) this.#forget(to, id, state);
        }),
        'store',
      );
    }
  }

  /** SENT is best effort: the sweep's timer does not hold the process open. */
  #armSweep(): void {
    this.#cancelSweep ??= this.#scheduler.after(SENT_AFTER_MS, () => {
      this.#cancelSweep = undefined;
      this.#sweep(false);
    });
  }

  #forget(to: UserId, id: MessageId, state: InFlight): void {
    const perUser = this.#inFlight.get(to);
    if (perUser?.get(id) !== state) return;
    perUser.delete(id);
    if (perUser.size === 0) this.#inFlight.delete(to);
    // Written but never proven: it stays pending in the store, as SENT.
    if (!state.done && !state.sent) {
      state.sent = true;
      this.#orphans.push([to, id]);
      this.#armSweep();
    }
  }
}

/** Entries gathered per user and handed to `write` together, `delayMs` after the first (or on flush). */
class StatusBatch {
  #queue: StatusQueue = new Map();
  #cancel: (() => void) | undefined;

  constructor(
    readonly delayMs: number,
    readonly scheduler: Scheduler,
    readonly write: (queue: StatusQueue) => void,
  ) {}

  /** True while entries wait for their write. */
  get waiting(): boolean {
    return this.#cancel !== undefined;
  }

  add(to: UserId, id: MessageId, state: InFlight): void {
    let list = this.#queue.get(to);
    if (list === undefined) this.#queue.set(to, (list = []));
    list.push([id, state]);
    this.#cancel ??= this.scheduler.after(this.delayMs, this.#flushNow);
  }

  readonly #flushNow = (): void => {
    this.#cancel = undefined;
    this.flush();
  };

  flush(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    const queue = this.#queue;
    this.#queue = new Map();
    this.write(queue);
  }
}
