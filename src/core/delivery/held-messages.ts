/**
 * HeldMessages: RELIABLE messages that owe their sender nothing (no reference; a group message's
 * copies), written at once to a recipient connected to this single node and held unstored while
 * the recipient proves receipt. Proven within `reliableHoldMs`, such a message is never stored;
 * otherwise it is stored then, or sooner: before anything else is stored for that recipient (in
 * the same commit, so the store keeps send order), before the recipient's fetch, and on shutdown.
 * A crash within the hold loses a held message only if its recipient had not read it. Only on an
 * isolated bus: in a cluster every RELIABLE message is stored first (docs/operations.md).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Background } from '../background.js';
import type { DeliveryTracker } from '../delivery-tracker.js';
import type { MessageId, UserId } from '../ids.js';
import type { LocalConnections } from '../local-connections.js';
import { writeTo, type Peer } from '../peer.js';
import type { Clock, MessageStore, Metrics, Scheduler, StoredEntry, StoredMessage } from '../ports.js';

/** Most RELIABLE messages held unstored at once; past it, messages are stored before delivery. */
export const MAX_HELD = 10_000;

/** An unreferenced RELIABLE message written live and not yet stored, and the connection that sent it. */
interface Held {
  readonly entry: StoredMessage;
  readonly sender: Peer;
}

export interface HeldMessagesOptions {
  /** 0: nothing is held (every RELIABLE message is stored before it is delivered). */
  readonly reliableHoldMs: number;
  readonly store: MessageStore;
  readonly local: LocalConnections;
  readonly tracker: DeliveryTracker;
  readonly background: Background;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly metrics: Metrics;
}

export class HeldMessages {
  readonly #o: HeldMessagesOptions;
  /** Per recipient, in send order. */
  readonly #held = new Map<UserId, Map<MessageId, Held>>();
  #count = 0;
  /** Cancels the sweep that stores the messages held past reliableHoldMs; set while any are held. */
  #cancelSweep: (() => void) | undefined;

  constructor(options: HeldMessagesOptions) {
    this.#o = options;
  }

  /** May a message to `to` be held rather than stored first? */
  mayHold(to: UserId): boolean {
    return this.#o.reliableHoldMs > 0 && this.#count < MAX_HELD && this.#o.local.has(to);
  }

  /**
   * Writes the message to its recipient's connections at once and holds it unstored until the
   * first proof of receipt (then it is dropped: nothing to store) or until it is stored. Stored at
   * once when no connection took it.
   */
  deliver(sender: Peer, entry: StoredMessage, frame: string | Uint8Array): void {
    const to = entry.to;
    const peers = this.#o.local.of(to);
    const written = peers === undefined ? [] : writeTo(peers, frame, 'MESSAGE', 'RELIABLE', true);
    if (written.length === 0) {
      // Behind whatever is still held for the recipient, so that the store keeps send order.
      void this.storeOf(to, { entry, sender });
      return;
    }
    this.#o.metrics.deliveryLatency(this.#o.clock() - entry.storedAt);
    let perUser = this.#held.get(to);
    if (perUser === undefined) this.#held.set(to, (perUser = new Map<MessageId, Held>()));
    perUser.set(entry.id, { entry, sender });
    this.#count++;
    this.#cancelSweep ??= this.#o.scheduler.after(this.#o.reliableHoldMs, this.#storeDue);
    this.#o.tracker.track(to, entry.id, written, () => this.#release(to, entry.id));
  }

  /**
   * The store's append, with the messages still held for the same recipients stored first, in
   * the same commit: a recipient's stored messages keep their send order.
   */
  append(entries: readonly StoredEntry[]): Promise<void> {
    if (this.#count === 0) return this.#o.store.append(entries);
    const held: Held[] = [];
    for (const entry of entries) this.#take(entry.to, held);
    return held.length === 0 ? this.#o.store.append(entries) : this.#store(held, entries);
  }

  /** Stores now what is held for `to`, with `also` behind it; undefined when there is nothing to store. */
  storeOf(to: UserId, also?: Held): Promise<void> | undefined {
    const held: Held[] = [];
    this.#take(to, held);
    if (also !== undefined) held.push(also);
    return held.length === 0 ? undefined : this.#store(held);
  }

  /** Stores every held message now (shutdown). */
  storeAll(): void {
    this.#cancelSweep?.();
    this.#cancelSweep = undefined;
    const all: Held[] = [];
    for (const to of this.#held.keys()) this.#take(to, all);
    if (all.length > 0) void this.#store(all);
  }

  /** First proof of receipt of a held message: false (nothing stored, nothing to mark) if it was still held. */
  #release(to: UserId, id: MessageId): false | undefined {
    const perUser = this.#held.get(to);
    if (perUser === undefined || !perUser.delete(id)) return undefined;
    this.#count--;
    if (perUser.size === 0) this.#held.delete(to);
    return false;
  }

  /** Takes every message held for `to`, oldest first. */
  #take(to: UserId, into: Held[]): void {
    const perUser = this.#held.get(to);
    if (perUser === undefined) return;
    this.#held.delete(to);
    this.#count -= perUser.size;
    for (const held of perUser.values()) into.push(held);
  }

  /** Stores the held messages of every recipient whose oldest one has waited reliableHoldMs; re-arms while any are held. */
  readonly #storeDue = (): void => {
    this.#cancelSweep = undefined;
    const cutoff = this.#o.clock() - this.#o.reliableHoldMs;
    const due: Held[] = [];
    for (const [to, perUser] of this.#held) {
      const oldest = perUser.values().next().value;
      if (oldest !== undefined && oldest.entry.storedAt <= cutoff) this.#take(to, due);
    }
    if (due.length > 0) void this.#store(due);
    if (this.#count > 0) this.#cancelSweep = this.#o.scheduler.after(this.#o.reliableHoldMs, this.#storeDue);
  };

  /**
   * Stores held messages (and `more` after them) in one append. Its failure is logged and answered
   * to each held message's sender still connected; callers that need not wait may ignore the
   * returned promise.
   */
  #store(held: readonly Held[], more: readonly StoredEntry[] = []): Promise<void> {
    const done = this.#o.store.append(more.length === 0 ? held.map((h) => h.entry) : [...held.map((h) => h.entry), ...more]);
    this.#o.background.track(
      done.catch((err: unknown) => {
        for (const h of held) {
          if (!h.sender.isClosed) h.sender.sendError(ErrorCode.Internal, 'message written to its recipient but not proven received, and it could not be stored', undefined);
        }
        throw err;
      }),
      'store',
    );
    return done;
  }
}
