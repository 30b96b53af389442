/**
 * LocalDelivery: writes a delivery to this node's connections of its recipient, asks them for a
 * proof of receipt when something is owed (RELIABLE entries, referenced FAST messages), and hands
 * proven entries to the tracker, which records DELIVERED and runs the sender's confirmation.
 * Presence deliveries go through PresenceOrder first (each user's transitions in generation order).
 * Kinds it does not know itself are handed to handlers that other modules register (topics, …).
 */
import { encodeMessageRaw } from '../../protocol/frames.js';
import type { DeliveryTracker } from '../delivery-tracker.js';
import type { LocalConnections } from '../local-connections.js';
import { writeTo, type Peer } from '../peer.js';
import type { Clock, Delivery, Metrics, Scheduler } from '../ports.js';
import type { Confirmations } from './confirmations.js';
import { PresenceOrder } from './presence-order.js';

type Kind = Delivery['kind'];
type Handler<K extends Kind> = (delivery: Extract<Delivery, { kind: K }>) => void;
type PresenceDelivery = Extract<Delivery, { kind: 'presence' }>;

/** How many confirmation ids a node remembers to write a repeated one only once (see Confirmations.confirm). */
const RECENT_CONFIRMATIONS = 10_000;

export class LocalDelivery {
  readonly #handlers = new Map<Kind, (delivery: Delivery) => void>();
  /** Confirmation ids written lately, oldest first in insertion order (bounded). */
  readonly #recentConfirmations = new Set<string>();
  /** Each (master, user) pair's presence transitions in generation order (bounded, see PresenceOrder). */
  readonly presenceOrder: PresenceOrder<PresenceDelivery>;

  constructor(
    readonly local: LocalConnections,
    readonly tracker: DeliveryTracker,
    readonly confirmations: Confirmations,
    readonly clock: Clock,
    readonly metrics: Metrics,
    scheduler: Scheduler,
  ) {
    this.presenceOrder = new PresenceOrder((d) => this.#writePresence(d), { scheduler });
  }

  /**
   * Lets a module take deliveries of a kind this one does not handle (one handler per kind). For
   * `frame`, the handler observes: it runs after the frame was written to the user's connections.
   */
  handle<K extends 'publication' | 'app-frame' | 'logout' | 'frame' | 'resume'>(kind: K, handler: Handler<K>): void {
    this.#handlers.set(kind, handler as (delivery: Delivery) => void);
  }

  /** Writes `d` to its recipients' connections on this node. RELIABLE entries with none stay pending in the store. */
  readonly deliver = (d: Delivery): void => {
    switch (d.kind) {
      case 'message':
      case 'confirmation':
        this.#deliverToUser(d);
        return;
      case 'presence':
        if (this.local.has(d.to)) {
          // Without a generation (a node of an older version): as it comes.
          if (d.generation === undefined || d.userId === undefined) this.#writePresence(d);
          else this.presenceOrder.accept(d.to, d.userId, d.generation, d);
        }
        return;
      case 'group':
        this.#deliverGroup(d);
        return;
      case 'frame': {
        const peers = this.local.of(d.to);
        if (peers !== undefined) for (const p of peers) p.send(d.frame, d.type);
        this.#handlers.get('frame')?.(d);
        return;
      }
      case 'close': {
        const peers = this.local.of(d.to);
        if (peers !== undefined) for (const p of peers) p.close({ code: d.code, reason: d.reason });
        return;
      }
      case 'publication':
      case 'app-frame':
      case 'logout':
      case 'resume':
        this.#handlers.get(d.kind)?.(d);
        return;
      case 'route':
        // Route-cache notices are taken by NodeRoutes before delivery (Publisher.intercept).
        return;
      default: {
        const never: never = d;
        return never;
      }
    }
  };

  /** Writes a FAST message that owes nothing to every connection of its recipient; `latencyMs` from accept to now. */
  writeFast(peers: readonly Peer[], frame: string | Uint8Array, latencyMs: number): void {
    let written = false;
    for (const p of peers) if (p.send(frame, 'MESSAGE', 'FAST')) written = true;
    if (written) this.metrics.deliveryLatency(latencyMs);
  }

  /** A USER_CONNECTED / USER_DISCONNECTED to the master user's connections here (nothing owed: no proof asked). */
  #writePresence(d: PresenceDelivery): void {
    const peers = this.local.of(d.to);
    if (peers !== undefined) writeTo(peers, d.frame, 'PRESENCE', 'RELIABLE', false);
  }

  #deliverToUser(d: Extract<Delivery, { kind: 'message' | 'confirmation' }>): void {
    const peers = this.local.of(d.to);
    if (peers === undefined) return; // RELIABLE stays pending in the store
    // Already on its way to this user through a fetch that read it between commit and publish.
    if (d.reliable && this.tracker.has(d.to, d.id)) return;
    if (d.kind === 'confirmation' && this.#repeated(d.id)) return;
    if (d.kind === 'message' && !d.reliable && d.reference === undefined) {
      // FAST without a reference (the common case): nothing to prove or confirm, so nothing to collect.
      this.writeFast(peers, d.frame, this.clock() - d.acceptedAt);
      return;
    }
    const type = d.kind === 'message' ? 'MESSAGE' : 'MESSAGE_CONFIRMATION';
    const fast = d.kind === 'message' && !d.reliable;
    const proofFollows = d.reliable || d.reference !== undefined;
    const written = writeTo(peers, d.frame, type, fast ? 'FAST' : 'RELIABLE', proofFollows);
    if (written.length === 0) return;
    if (d.kind === 'message') this.metrics.deliveryLatency(this.clock() - d.acceptedAt);
    if (!d.reliable) {
      // FAST: the confirmation still waits for proof of receipt, but nothing was stored.
      if (d.kind === 'message' && d.reference !== undefined && d.confirm !== false) this.confirmations.confirmOnProof(written, d.from, d.reference, d.id);
      return;
    }
    this.tracker.track(d.to, d.id, written, d.kind === 'message' && d.confirm !== false ? this.confirmations.confirmer(d.from, d.reference, d.id) : undefined);
  }

  /** True when confirmation `id` was written here lately (two nodes confirmed one message); remembers it otherwise. */
  #repeated(id: string): boolean {
    const recent = this.#recentConfirmations;
    if (recent.has(id)) return true;
    recent.add(id);
    if (recent.size > RECENT_CONFIRMATIONS) recent.delete(recent.values().next().value!);
    return false;
  }

  /** A group message that crossed the bus once: the copies of the recipients connected here. */
  #deliverGroup(d: Extract<Delivery, { kind: 'group' }>): void {
    const feature = d.reliable ? 'RELIABLE' : 'FAST';
    for (const copy of d.copies) {
      const peers = this.local.of(copy.to);
      if (peers === undefined) continue;
      if (d.reliable && this.tracker.has(copy.to, copy.id)) continue;
      const frame = encodeMessageRaw(d.from, d.contentJson, copy.id, d.reference);
      const written = writeTo(peers, frame, 'MESSAGE', feature, d.reliable);
      if (written.length === 0) continue;
      this.metrics.deliveryLatency(this.clock() - d.acceptedAt);
      if (d.reliable) this.tracker.track(copy.to, copy.id, written);
    }
  }
}
