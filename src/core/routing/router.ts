/**
 * Router: MESSAGE and GROUP_MESSAGE. RELIABLE is committed to the store before it is accepted and
 * published (or held, see delivery/held-messages.ts); FAST is published at once. Every frame to
 * deliver is serialized here, once, for every connection of its recipient.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { encodeAccepted, encodeMessageRaw, type Feature, type GroupMessageFrame, type MessageFrame } from '../../protocol/frames.js';
import type { ClientApp } from '../client-apps.js';
import type { Background } from '../background.js';
import type { HeldMessages } from '../delivery/held-messages.js';
import type { LocalDelivery } from '../delivery/local-delivery.js';
import type { Publisher } from '../delivery/publisher.js';
import { asMessageId, type MessageId, type NodeId, type UserId } from '../ids.js';
import type { LocalConnections } from '../local-connections.js';
import type { Peer } from '../peer.js';
import type { NodeRoutes } from './node-routes.js';
import { allChannel, userChannel, type Bus, type Clock, type Delivery, type Metrics, type StoredMessage } from '../ports.js';

/**
 * Writes a MESSAGE frame around content bytes taken as the sender wrote them: byte for byte the
 * UTF-8 of `encodeMessageRaw(from, content, id, reference)` given `head = encodeMessageHead(from)`.
 * The gateway injects one that cuts frames from its write-path memory.
 */
export type MessageEncoder = (head: Uint8Array, content: Uint8Array, id: string, reference: string | undefined) => Uint8Array;

/** Work a connection orders behind its earlier messages: `ready` settles first, then `after(ok)`. */
export interface OrderedWork {
  readonly ready: Promise<unknown> | undefined;
  readonly after: (ok: boolean) => void;
}

export interface RouterOptions {
  readonly nodeId: NodeId;
  readonly nextId: () => string;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly bus: Bus;
  readonly local: LocalConnections;
  readonly delivery: LocalDelivery;
  readonly held: HeldMessages;
  readonly publisher: Publisher;
  readonly background: Background;
  readonly encodeMessage: MessageEncoder;
  /** Is the store reachable? A refusal while it is not says UNAVAILABLE (try later), else INTERNAL. */
  readonly storeReady: () => boolean;
  /** In a cluster whose presence knows each user's nodes: 1:1 messages go on node channels (seed 004). */
  readonly routes?: NodeRoutes;
}

type MessageDelivery = Extract<Delivery, { kind: 'message' }>;

const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export class Router {
  readonly #o: RouterOptions;
  readonly #isolated: boolean;
  readonly #onBusError = (err: unknown): void => this.#o.background.failed('bus', err);

  constructor(options: RouterOptions) {
    this.#o = options;
    this.#isolated = options.publisher.isolated;
  }

  /**
   * MESSAGE, FAST, when nothing of this connection is waiting ahead of it: published at once.
   * `id` is undefined when the message was not counted yet (the usual FAST call from a connection).
   */
  sendFast(sender: Peer, to: UserId, message: MessageFrame, id: MessageId | undefined): void {
    const o = this.#o;
    const from = sender.userId!;
    const reference = message.reference;
    if (id === undefined) {
      id = asMessageId(message.id ?? o.nextId());
      o.metrics.messageRouted('MESSAGE', 'FAST');
    }
    if (this.#isolated && reference === undefined) {
      // The usual FAST message on one node: nothing to answer, prove or confirm, and the write is
      // this call. A recipient without a connection here has none anywhere: FAST to an offline
      // user is dropped before it is serialized.
      const peers = o.local.of(to);
      if (peers === undefined) return;
      o.delivery.writeFast(peers, this.#encode(sender, message, id), 0);
      return;
    }
    if (!this.#isolated && !o.bus.isReady() && !o.local.has(to)) {
      sender.sendError(ErrorCode.Unavailable, 'the bus to other nodes is down; FAST message not delivered', reference);
      return;
    }
    const frame = this.#encode(sender, message, id);
    const delivery: MessageDelivery =
      reference === undefined
        ? { kind: 'message', origin: o.nodeId, to, id, from, frame, reliable: false, acceptedAt: o.clock() }
        : message.confirmationEnabled === false
          ? { kind: 'message', origin: o.nodeId, to, id, from, frame, reference, reliable: false, acceptedAt: o.clock(), confirm: false }
          : { kind: 'message', origin: o.nodeId, to, id, from, frame, reference, reliable: false, acceptedAt: o.clock() };
    const handed = this.#publishMessage(delivery);
    if (reference === undefined) {
      // Nothing to answer and nothing to wait for on shutdown (FAST is best effort): just log failures.
      handed.then(undefined, this.#onBusError);
      return;
    }
    if (this.#isolated) {
      sender.send(encodeAccepted(reference, id), 'MESSAGE_ACCEPTED', 'FAST');
      return;
    }
    handed.then(
      () => sender.send(encodeAccepted(reference, id), 'MESSAGE_ACCEPTED', 'FAST'),
      (err: unknown) => {
        this.#onBusError(err);
        sender.sendError(ErrorCode.Unavailable, 'message could not be routed; not accepted', reference);
      },
    );
  }

  /** MESSAGE: RELIABLE is committed before it is accepted and published (or held); FAST is published at once. */
  routeMessage(sender: Peer, to: UserId, message: MessageFrame): OrderedWork {
    const o = this.#o;
    const id = asMessageId(message.id ?? o.nextId());
    const reference = message.reference;
    o.metrics.messageRouted('MESSAGE', message.feature);
    if (message.feature === 'FAST') return { ready: undefined, after: () => this.sendFast(sender, to, message, id) };
    const from = sender.userId!;
    const contentJson = contentText(message);
    const storedAt = o.clock();
    const entry: StoredMessage =
      reference === undefined
        ? { kind: 'message', id, to, from, contentJson, storedAt }
        : message.confirmationEnabled === false
          ? { kind: 'message', id, to, from, contentJson, reference, storedAt, confirm: false }
          : { kind: 'message', id, to, from, contentJson, reference, storedAt };
    // Made now, while the sender's content bytes are at hand: the same bytes as the stored entry's frame.
    const frame = this.#encode(sender, message, id, contentJson);
    if (reference === undefined && o.held.mayHold(to)) return { ready: undefined, after: () => o.held.deliver(sender, entry, frame) };
    const ready = o.held.append([entry]);
    return {
      ready,
      after: (ok) => {
        if (!ok) return this.#storeFailed(sender, reference);
        if (reference !== undefined) sender.send(encodeAccepted(reference, id), 'MESSAGE_ACCEPTED', 'RELIABLE');
        this.#publishQuietly(
          reference === undefined
            ? { kind: 'message', origin: o.nodeId, to, id, from, frame, reliable: true, acceptedAt: o.clock() }
            : message.confirmationEnabled === false
              ? { kind: 'message', origin: o.nodeId, to, id, from, frame, reference, reliable: true, acceptedAt: o.clock(), confirm: false }
              : { kind: 'message', origin: o.nodeId, to, id, from, frame, reference, reliable: true, acceptedAt: o.clock() },
        );
      },
    };
  }

  /**
   * A MESSAGE from the server API (contract §8) to `to`, from the app's master user, with no
   * reference (nothing to accept or confirm). RELIABLE: stored first, behind anything held for
   * `to`, and resolves with its id once durable (rejects with the store's error: nothing stored,
   * nothing sent); then published, or left for the recipient's fetch when it has no connection
   * (rule 4). FAST: published; resolves once the bus took it.
   */
  async sendFromServer(app: ClientApp, to: UserId, contentJson: string, feature: Feature): Promise<MessageId> {
    const o = this.#o;
    const id = asMessageId(o.nextId());
    const from = app.masterUserId;
    o.metrics.messageRouted('MESSAGE', feature);
    const frame = encodeMessageRaw(from, contentJson, id, undefined);
    if (feature === 'FAST') {
      await this.#publishMessage({ kind: 'message', origin: o.nodeId, to, id, from, frame, reliable: false, acceptedAt: o.clock() });
      return id;
    }
    await o.held.append([{ kind: 'message', id, to, from, contentJson, storedAt: o.clock() }]);
    this.#publishQuietly({ kind: 'message', origin: o.nodeId, to, id, from, frame, reliable: true, acceptedAt: o.clock() });
    return id;
  }

  /** GROUP_MESSAGE: one copy per distinct recipient; no confirmation (seed). In a cluster it crosses the bus once. */
  routeGroup(sender: Peer, to: readonly UserId[], message: GroupMessageFrame): OrderedWork {
    const o = this.#o;
    const from = sender.userId!;
    const reference = message.reference;
    o.metrics.messageRouted('GROUP_MESSAGE', message.feature);
    const now = o.clock();
    const reliable = message.feature === 'RELIABLE';
    if (!this.#isolated) return this.#routeGroupOnce(sender, to, message, reliable, now);
    if (!reliable) {
      return {
        ready: undefined,
        after: () => {
          for (const user of to) {
            const id = asMessageId(o.nextId());
            o.publisher.publish(userChannel(user), { kind: 'message', origin: o.nodeId, to: user, id, from, frame: this.#encode(sender, message, id), reliable: false, acceptedAt: now });
          }
        },
      };
    }
    const contentJson = contentText(message);
    // A group message owes its sender nothing (no MESSAGE_ACCEPTED, no confirmation): its copies
    // to recipients connected here are held like an unreferenced MESSAGE.
    const stored: StoredMessage[] = [];
    const held: StoredMessage[] = [];
    for (const user of to) {
      const entry: StoredMessage = { kind: 'message', id: asMessageId(o.nextId()), to: user, from, contentJson, storedAt: now };
      (o.held.mayHold(user) ? held : stored).push(entry);
    }
    return {
      ready: stored.length === 0 ? undefined : o.held.append(stored),
      after: (ok) => {
        if (!ok) return this.#storeFailed(sender, reference);
        for (const e of stored) {
          o.publisher.publish(userChannel(e.to), { kind: 'message', origin: o.nodeId, to: e.to, id: e.id, from, frame: this.#encode(sender, message, e.id, contentJson), reliable: true, acceptedAt: now });
        }
        for (const e of held) o.held.deliver(sender, e, this.#encode(sender, message, e.id, contentJson));
      },
    };
  }

  /** A cluster's group message: every copy stored first when RELIABLE, then one delivery on `all` for every node. */
  #routeGroupOnce(sender: Peer, to: readonly UserId[], message: GroupMessageFrame, reliable: boolean, now: number): OrderedWork {
    const o = this.#o;
    const from = sender.userId!;
    const contentJson = contentText(message);
    const copies = to.map((user) => ({ to: user, id: asMessageId(o.nextId()) }));
    const reference = message.reference;
    const delivery: Delivery =
      reference === undefined
        ? { kind: 'group', origin: o.nodeId, from, copies, contentJson, reliable, acceptedAt: now }
        : { kind: 'group', origin: o.nodeId, from, copies, contentJson, reference, reliable, acceptedAt: now };
    if (!reliable) return { ready: undefined, after: () => o.publisher.publish(allChannel, delivery) };
    const entries: StoredMessage[] = copies.map((c) => ({ kind: 'message', id: c.id, to: c.to, from, contentJson, storedAt: now }));
    return {
      ready: o.held.append(entries),
      after: (ok) => {
        if (!ok) return this.#storeFailed(sender, reference);
        o.publisher.publish(allChannel, delivery);
      },
    };
  }

  /** A 1:1 message to its recipient's nodes: on their node channels when routes are known, else on its user channel. */
  #publishMessage(delivery: MessageDelivery): Promise<void> {
    const routes = this.#o.routes;
    return routes === undefined ? this.#o.publisher.publishHanded(userChannel(delivery.to), delivery) : routes.publish(delivery);
  }

  /** As #publishMessage; a bus failure is logged (the message is stored: its recipient fetches it). */
  #publishQuietly(delivery: MessageDelivery): void {
    if (this.#o.routes === undefined) this.#o.publisher.publish(userChannel(delivery.to), delivery);
    else this.#o.background.track(this.#o.routes.publish(delivery), 'bus');
  }

  #storeFailed(sender: Peer, reference: string | undefined): void {
    if (this.#o.storeReady()) sender.sendError(ErrorCode.Internal, 'message could not be stored; not accepted', reference);
    else sender.sendError(ErrorCode.Unavailable, 'the message store is unreachable; not accepted, try again later', reference);
  }

  /**
   * A MESSAGE frame to deliver: the sender's content bytes copied into it when there are any (no
   * re-serialization); else the content's JSON text, `contentJson` when the caller already made it.
   */
  #encode(sender: Peer, message: MessageFrame | GroupMessageFrame, id: MessageId, contentJson?: string): string | Uint8Array {
    if (message.contentUtf8 !== undefined) return this.#o.encodeMessage(sender.messageHead, message.contentUtf8, id, message.reference);
    return encodeMessageRaw(sender.userId!, contentJson ?? JSON.stringify(message.data.content), id, message.reference);
  }
}



/** The content's JSON text: as the sender wrote it when the decoder kept its bytes, else serialized again. */
export function contentText(message: MessageFrame | GroupMessageFrame): string {
  return message.contentUtf8 === undefined ? JSON.stringify(message.data.content) : utf8Decoder.decode(message.contentUtf8);
}
