/**
 * Hub: the node's routing and delivery rules. It holds the local connections per user, routes
 * MESSAGE / GROUP_MESSAGE through the store (RELIABLE) and the bus, delivers what the bus brings,
 * tracks RELIABLE entries in flight until the recipient proves receipt, then records DELIVERED and
 * sends the sender's confirmation. No I/O of its own: everything goes through the ports.
 */
import type { DecodeLimits, GroupMessageFrame, MessageFrame } from '../protocol/frames.js';
import { encodeMessageUtf8 } from '../protocol/encode-message-utf8.js';
import { encodeAccepted, encodeConfirmation, encodeFetchComplete, encodeMessageRaw, encodePresence } from '../protocol/frames.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Disconnect } from '../protocol/close-codes.js';
import type { ClientApp, ClientApps } from './client-apps.js';
import { asMessageId, createIdGenerator, type MessageId, type NodeId, type UserId } from './ids.js';
import type { AuthVerifier, Bus, Clock, Delivery, Logger, MessageStore, Metrics, Presence, StoredEntry, StoredMessage } from './ports.js';
import { DeliveryTracker } from './delivery-tracker.js';
import { Session } from './session.js';
import type { Transport } from './transport.js';

export interface HubLimits {
  readonly maxFetchCount: number;
  /** Page size when FETCH_MISSING_MESSAGES_REQUEST has no count. */
  readonly defaultFetchCount: number;
  readonly maxConnectionsPerUser: number;
  /** Inbound frames per second per connection after auth (0: unlimited). */
  readonly rateLimitPerSec: number;
  readonly maxErrorsBeforeAuth: number;
  /** Frames held while the auth webhook answers. */
  readonly maxBacklogFrames: number;
  readonly decode: DecodeLimits;
  /**
   * How long a RELIABLE message without a reference, written at once to its online recipient,
   * may wait for proof of receipt before it is stored, ms (0: every RELIABLE message is stored
   * before it is delivered). See {@link Hub.routeMessage}.
   */
  readonly reliableHoldMs: number;
}

/** Most RELIABLE messages held unstored at once; past it, messages are stored before delivery. */
export const MAX_HELD = 10_000;

/** An unreferenced RELIABLE message written live and not yet stored, and the session that sent it. */
interface Held {
  readonly entry: StoredMessage;
  readonly sender: Session;
}

export interface HubOptions {
  readonly nodeId: NodeId;
  readonly apps: ClientApps;
  readonly bus: Bus;
  readonly presence: Presence;
  readonly store: MessageStore;
  readonly auth: AuthVerifier;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly limits: HubLimits;
}

/** Work a session orders behind its earlier messages: `ready` settles first, then `after(ok)`. */
export interface OrderedWork {
  readonly ready: Promise<unknown> | undefined;
  readonly after: (ok: boolean) => void;
}

export class Hub {
  readonly apps: ClientApps;
  readonly auth: AuthVerifier;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly limits: HubLimits;
  readonly #bus: Bus;
  /** The bus reaches no other node: deliveries go straight to this node's connections (see {@link Hub.#publish}). */
  readonly #isolated: boolean;
  readonly #presence: Presence;
  readonly #store: MessageStore;
  readonly #nodeId: NodeId;
  readonly #nextId: () => string;
  /** Authenticated local connections per user. */
  readonly #local = new Map<UserId, Set<Session>>();
  /** All open sessions, authenticated or not (for shutdown and sweeps). */
  readonly #sessions = new Set<Session>();
  /** RELIABLE entries in flight: excluded from fetches until proven or dropped. */
  readonly #deliveries: DeliveryTracker;
  /** Background store/bus work (confirmations, status updates) awaited on close. */
  readonly #background = new Set<Promise<unknown>>();
  /** Unreferenced RELIABLE messages written live and not yet stored, per recipient, in send order. */
  readonly #held = new Map<UserId, Map<MessageId, Held>>();
  #heldCount = 0;
  /** Stores the messages held past reliableHoldMs; armed while any are held. */
  #holdTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: HubOptions) {
    this.apps = options.apps;
    this.auth = options.auth;
    this.clock = options.clock;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.limits = options.limits;
    this.#bus = options.bus;
    this.#isolated = options.bus.isolated === true;
    this.#presence = options.presence;
    this.#store = options.store;
    this.#nodeId = options.nodeId;
    this.#nextId = createIdGenerator(options.nodeId, options.clock());
    this.#deliveries = new DeliveryTracker({ store: options.store, track: (work, backend) => this.#track(work, backend), clock: options.clock });
    this.#bus.onDelivery((d) => this.#deliver(d));
  }

  get sessions(): ReadonlySet<Session> {
    return this.#sessions;
  }

  /** RELIABLE entries written to local connections and not yet proven received (a queue depth). */
  get inFlightCount(): number {
    return this.#deliveries.size;
  }

  /** Store and bus operations issued and not yet settled (a queue depth). */
  get backgroundCount(): number {
    return this.#background.size;
  }

  /** A new connection: core's handle for its frames. */
  openSession(transport: Transport): Session {
    const session = new Session(transport, this);
    this.#sessions.add(session);
    this.metrics.connectionOpened();
    return session;
  }

  /** The transport closed: forget the session. */
  closeSession(session: Session, code: number): void {
    if (!this.#sessions.delete(session)) return;
    session.closed();
    this.metrics.connectionClosed(code);
  }

  // ------------------------------------------------------------ membership

  /**
   * Registers an authenticated connection: local map, bus subscription on the user's first local
   * connection, presence (USER_CONNECTED to the master user on the first connection anywhere).
   * False when the user already holds the maximum number of connections.
   */
  async admit(session: Session, app: ClientApp, userId: UserId): Promise<boolean> {
    let set = this.#local.get(userId);
    if ((set?.size ?? 0) >= this.limits.maxConnectionsPerUser) return false;
    if ((await this.#presence.connectionCount(userId)) >= this.limits.maxConnectionsPerUser) return false;
    set = this.#local.get(userId);
    if (set === undefined) {
      set = new Set();
      this.#local.set(userId, set);
      this.metrics.usersOnline(this.#local.size);
    }
    set.add(session);
    try {
      if (set.size === 1) await this.#bus.subscribe(userId);
      const { firstForUser } = await this.#presence.addConnection(userId, session.transport.id, this.#nodeId);
      if (firstForUser && userId !== app.masterUserId) this.#publishPresence(app.masterUserId, 'USER_CONNECTED', userId);
      return true;
    } catch (err) {
      // A backend failed half-way: undo, so that nothing is delivered to an unadmitted connection.
      this.release(session, app, userId);
      throw err;
    }
  }

  /** Undoes `admit` when the connection closes. */
  release(session: Session, app: ClientApp, userId: UserId): void {
    const set = this.#local.get(userId);
    if (set === undefined || !set.delete(session)) return;
    if (set.size === 0) {
      this.#local.delete(userId);
      this.metrics.usersOnline(this.#local.size);
      this.#track(this.#bus.unsubscribe(userId), 'bus');
    }
    this.#track(
      this.#presence.removeConnection(userId, session.transport.id).then(({ lastForUser }) => {
        if (lastForUser && userId !== app.masterUserId) this.#publishPresence(app.masterUserId, 'USER_DISCONNECTED', userId);
      }),
      'presence',
    );
  }

  #publishPresence(master: UserId, type: 'USER_CONNECTED' | 'USER_DISCONNECTED', userId: UserId): void {
    this.#publish({ kind: 'presence', to: master, frame: encodePresence(type, userId) });
  }

  // ------------------------------------------------------------ routing

  /**
   * MESSAGE, FAST, when nothing of this connection is waiting ahead of it: published at once. The
   * frame is serialized here, once, for every connection of the recipient.
   */
  sendFast(session: Session, to: UserId, message: MessageFrame, id: MessageId | undefined): void {
    const from = session.userId!;
    const reference = message.reference;
    if (id === undefined) {
      id = asMessageId(this.#nextId());
      this.metrics.messageRouted('MESSAGE', 'FAST');
    }
    if (this.#isolated && reference === undefined) {
      // The usual FAST message on one node: nothing to answer, prove or confirm, and the write is
      // this call (accept to write takes no measurable time). A recipient without a connection
      // here has none anywhere: FAST to an offline user is dropped before it is serialized.
      const sessions = this.#local.get(to);
      if (sessions === undefined) return;
      this.#writeFast(sessions, encodeDelivery(session, message, id), 0);
      return;
    }
    const frame = encodeDelivery(session, message, id);
    const delivery: Delivery =
      reference === undefined
        ? { kind: 'message', to, id, from, frame, reliable: false, acceptedAt: this.clock() }
        : { kind: 'message', to, id, from, frame, reference, reliable: false, acceptedAt: this.clock() };
    if (this.#isolated) {
      this.#deliver(delivery);
      if (reference !== undefined) session.send(encodeAccepted(reference, id), 'MESSAGE_ACCEPTED', 'FAST');
      return;
    }
    const handed = this.#bus.publish(delivery);
    if (reference === undefined) {
      // Nothing to answer and nothing to wait for on shutdown (FAST is best effort): just log failures.
      handed.then(undefined, this.#onBusError);
      return;
    }
    handed.then(
      () => session.send(encodeAccepted(reference, id), 'MESSAGE_ACCEPTED', 'FAST'),
      (err: unknown) => {
        this.#backendFailed('bus', err);
        session.sendError(ErrorCode.Internal, 'message could not be routed; not accepted', reference);
      },
    );
  }

  readonly #onBusError = (err: unknown): void => this.#backendFailed('bus', err);

  /**
   * MESSAGE: RELIABLE is committed before it is accepted and published; FAST is published at once.
   *
   * A RELIABLE message without a reference (no MESSAGE_ACCEPTED, no confirmation to owe) to a
   * recipient connected to this node, on an isolated bus, is written to the recipient at once
   * and held unstored for up to reliableHoldMs: proven received within that time, it is never
   * stored (no insert, no status update); otherwise it is stored then, or sooner when anything
   * else is stored for that recipient (so the store keeps send order), when the recipient
   * fetches, or on shutdown. A crash within the hold loses such a message only if its recipient
   * had not read it (the store-first path has that exposure only until its commit).
   */
  routeMessage(session: Session, to: UserId, message: MessageFrame): OrderedWork {
    const id = asMessageId(this.#nextId());
    const reference = message.reference;
    this.metrics.messageRouted('MESSAGE', message.feature);
    if (message.feature === 'FAST') return { ready: undefined, after: () => this.sendFast(session, to, message, id) };
    const from = session.userId!;
    const contentJson = contentText(message);
    const entry: StoredMessage =
      reference === undefined ? { kind: 'message', id, to, from, contentJson, storedAt: this.clock() } : { kind: 'message', id, to, from, contentJson, reference, storedAt: this.clock() };
    // Made now, while the sender's content bytes are at hand: the same bytes as the stored entry's frame.
    const frame = encodeDelivery(session, message, id, contentJson);
    if (reference === undefined && this.#mayHold(to)) return { ready: undefined, after: () => this.#deliverHeld(session, entry, frame) };
    const ready = this.#append([entry]);
    return {
      ready,
      after: (ok) => {
        if (!ok) return this.#storeFailed(session, reference);
        if (reference !== undefined) session.send(encodeAccepted(reference, id), 'MESSAGE_ACCEPTED', 'RELIABLE');
        this.#publish(
          reference === undefined
            ? { kind: 'message', to, id, from, frame, reliable: true, acceptedAt: this.clock() }
            : { kind: 'message', to, id, from, frame, reference, reliable: true, acceptedAt: this.clock() },
        );
      },
    };
  }

  /** GROUP_MESSAGE: one copy per distinct recipient; no confirmation (seed). */
  routeGroup(session: Session, to: readonly UserId[], message: GroupMessageFrame): OrderedWork {
    const from = session.userId!;
    const reference = message.reference;
    this.metrics.messageRouted('GROUP_MESSAGE', message.feature);
    const now = this.clock();
    if (message.feature === 'FAST') {
      return {
        ready: undefined,
        after: () => {
          for (const user of to) {
            const id = asMessageId(this.#nextId());
            this.#publish({ kind: 'message', to: user, id, from, frame: encodeDelivery(session, message, id), reliable: false, acceptedAt: now });
          }
        },
      };
    }
    const contentJson = contentText(message);
    // A group message owes its sender nothing (no MESSAGE_ACCEPTED, no confirmation): its copies
    // to recipients connected here are held like an unreferenced MESSAGE (see routeMessage).
    const stored: StoredMessage[] = [];
    const held: StoredMessage[] = [];
    for (const user of to) {
      const entry: StoredMessage = { kind: 'message', id: asMessageId(this.#nextId()), to: user, from, contentJson, storedAt: now };
      (this.#mayHold(user) ? held : stored).push(entry);
    }
    return {
      ready: stored.length === 0 ? undefined : this.#append(stored),
      after: (ok) => {
        if (!ok) return this.#storeFailed(session, reference);
        for (const e of stored) {
          this.#publish({ kind: 'message', to: e.to, id: e.id, from, frame: encodeDelivery(session, message, e.id, contentJson), reliable: true, acceptedAt: now });
        }
        for (const e of held) this.#deliverHeld(session, e, encodeDelivery(session, message, e.id, contentJson));
      },
    };
  }

  #storeFailed(session: Session, reference: string | undefined): void {
    session.sendError(ErrorCode.Internal, 'message could not be stored; not accepted', reference);
  }

  // ------------------------------------------------------------ held RELIABLE messages

  #mayHold(to: UserId): boolean {
    return this.#isolated && this.limits.reliableHoldMs > 0 && this.#heldCount < MAX_HELD && this.#local.has(to);
  }

  /**
   * Writes an unreferenced RELIABLE message to its recipient's connections at once and holds it
   * unstored until the first proof of receipt (then it is dropped: nothing to store) or until it
   * is stored (see routeMessage). Stored at once when no connection took it.
   */
  #deliverHeld(sender: Session, entry: StoredMessage, frame: string | Uint8Array): void {
    const to = entry.to;
    const sessions = this.#local.get(to);
    const written = sessions === undefined ? [] : writeTo(sessions, frame, 'MESSAGE', 'RELIABLE', true);
    if (written.length === 0) {
      // Behind whatever is still held for the recipient, so that the store keeps send order.
      void this.#storeHeldOf(to, { entry, sender });
      return;
    }
    this.metrics.deliveryLatency(this.clock() - entry.storedAt);
    let perUser = this.#held.get(to);
    if (perUser === undefined) this.#held.set(to, (perUser = new Map<MessageId, Held>()));
    perUser.set(entry.id, { entry, sender });
    this.#heldCount++;
    this.#holdTimer ??= setTimeout(this.#storeHeldDue, this.limits.reliableHoldMs);
    this.#deliveries.track(to, entry.id, written, () => this.#release(to, entry.id));
  }

  /** First proof of receipt of a held message: false (nothing stored, nothing to mark) if it was still held. */
  #release(to: UserId, id: MessageId): false | undefined {
    const perUser = this.#held.get(to);
    if (perUser === undefined || !perUser.delete(id)) return undefined;
    this.#heldCount--;
    if (perUser.size === 0) this.#held.delete(to);
    return false;
  }

  /** Takes every message held for `to`, oldest first. */
  #takeHeld(to: UserId, into: Held[]): void {
    const perUser = this.#held.get(to);
    if (perUser === undefined) return;
    this.#held.delete(to);
    this.#heldCount -= perUser.size;
    for (const held of perUser.values()) into.push(held);
  }

  /** Stores now what is held for `to`, with `also` behind it; undefined when there is nothing to store. */
  #storeHeldOf(to: UserId, also?: Held): Promise<void> | undefined {
    const held: Held[] = [];
    this.#takeHeld(to, held);
    if (also !== undefined) held.push(also);
    return held.length === 0 ? undefined : this.#storeHeld(held);
  }

  /** Stores the held messages of every recipient whose oldest one has waited reliableHoldMs; re-arms while any are held. */
  readonly #storeHeldDue = (): void => {
    this.#holdTimer = undefined;
    const cutoff = this.clock() - this.limits.reliableHoldMs;
    const due: Held[] = [];
    for (const [to, perUser] of this.#held) {
      const oldest = perUser.values().next().value;
      if (oldest !== undefined && oldest.entry.storedAt <= cutoff) this.#takeHeld(to, due);
    }
    if (due.length > 0) void this.#storeHeld(due);
    if (this.#heldCount > 0) this.#holdTimer = setTimeout(this.#storeHeldDue, this.limits.reliableHoldMs);
  };

  /** Stores every held message now (shutdown). */
  #storeAllHeld(): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    const all: Held[] = [];
    for (const to of this.#held.keys()) this.#takeHeld(to, all);
    if (all.length > 0) void this.#storeHeld(all);
  }

  /**
   * Stores held messages (and `more` after them) in one append. Its failure is logged and answered
   * to each held message's sender still connected; callers that need not wait may ignore the
   * returned promise.
   */
  #storeHeld(held: readonly Held[], more: readonly StoredEntry[] = []): Promise<void> {
    const done = this.#store.append(more.length === 0 ? held.map((h) => h.entry) : [...held.map((h) => h.entry), ...more]);
    this.#track(
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

  /**
   * The store's append, with the messages still held for the same recipients stored first, in
   * the same commit: a recipient's stored messages keep their send order.
   */
  #append(entries: readonly StoredEntry[]): Promise<void> {
    if (this.#heldCount === 0) return this.#store.append(entries);
    const held: Held[] = [];
    for (const entry of entries) this.#takeHeld(entry.to, held);
    return held.length === 0 ? this.#store.append(entries) : this.#storeHeld(held, entries);
  }

  // ------------------------------------------------------------ delivery

  /**
   * Hands a delivery to its recipient's connections: through the bus, or, when the bus is
   * isolated (no other node can hold a connection), straight to this node's connections, which
   * is what the bus would do a microtask later. Order is kept either way: publish order.
   */
  #publish(delivery: Delivery): void {
    if (this.#isolated) this.#deliver(delivery);
    else this.#track(this.#bus.publish(delivery), 'bus');
  }

  /** A delivery from the bus for a user with local connections. */
  #deliver(d: Delivery): void {
    const sessions = this.#local.get(d.to);
    if (sessions === undefined || sessions.size === 0) return; // RELIABLE stays pending in the store
    // Already on its way to this user through a fetch that read it between commit and publish.
    if (d.kind !== 'presence' && d.reliable && this.#deliveries.has(d.to, d.id)) return;
    if (d.kind === 'message' && !d.reliable && d.reference === undefined) {
      // FAST without a reference (the common case): nothing to prove or confirm, so nothing to collect.
      this.#writeFast(sessions, d.frame, this.clock() - d.acceptedAt);
      return;
    }
    const type = d.kind === 'message' ? 'MESSAGE' : d.kind === 'confirmation' ? 'MESSAGE_CONFIRMATION' : 'PRESENCE';
    const fast = d.kind === 'message' && !d.reliable;
    const proofFollows = d.kind !== 'presence' && (d.reliable || d.reference !== undefined);
    const written = writeTo(sessions, d.frame, type, fast ? 'FAST' : 'RELIABLE', proofFollows);
    if (written.length === 0 || d.kind === 'presence') return;
    if (d.kind === 'message') this.metrics.deliveryLatency(this.clock() - d.acceptedAt);
    if (!d.reliable) {
      // FAST: the confirmation still waits for proof of receipt, but nothing was stored.
      if (d.kind === 'message' && d.reference !== undefined) this.#confirmOnProof(written, d.from, d.reference);
      return;
    }
    this.#deliveries.track(d.to, d.id, written, d.kind === 'message' ? this.#confirmer(d.from, d.reference) : undefined);
  }

  /** Writes a FAST message that owes nothing to every connection of its recipient; `latencyMs` from accept to now. */
  #writeFast(sessions: Set<Session>, frame: string | Uint8Array, latencyMs: number): void {
    let written = false;
    for (const s of sessions) if (s.send(frame, 'MESSAGE', 'FAST')) written = true;
    if (written) this.metrics.deliveryLatency(latencyMs);
  }

  #confirmOnProof(written: readonly Transport[], sender: UserId, reference: string): void {
    void firstProof(written).then((proved) => {
      if (proved) this.#track(this.#confirm(sender, reference), 'store');
    });
  }

  /**
   * What to run once a referenced message is proven received: its sender's confirmation. The
   * tracker marks the message DELIVERED only once that has settled, so a crash in between leaves
   * the message pending (served again, then confirmed) rather than confirmed to no one.
   */
  #confirmer(from: UserId, reference: string | undefined): (() => Promise<void>) | undefined {
    return reference === undefined ? undefined : () => this.#confirm(from, reference);
  }

  /**
   * MESSAGE_CONFIRMATION to the original sender. Confirmations are always reliable: this resolves
   * once one of the sender's connections has proven it received the frame, or once it is stored
   * for the sender's next fetch. On an isolated bus a sender connected here gets it written
   * straight to its connections, and it is stored only if none of them proves receipt: a store
   * insert and a status update fewer per confirmed message. Otherwise (a sender offline, or
   * connections possibly on other nodes) it is stored first, then published.
   */
  #confirm(sender: UserId, reference: string): Promise<void> {
    const frame = encodeConfirmation(reference);
    const sessions = this.#isolated ? this.#local.get(sender) : undefined;
    if (sessions !== undefined) {
      const written = writeTo(sessions, frame, 'MESSAGE_CONFIRMATION', 'RELIABLE', true);
      if (written.length > 0) return firstProof(written).then((proved) => (proved ? undefined : this.#storeConfirmation(sender, reference, frame)));
    }
    return this.#storeConfirmation(sender, reference, frame);
  }

  /** Stores a confirmation, then publishes it to the sender's connections (tracked there like a message). */
  #storeConfirmation(sender: UserId, reference: string, frame: string): Promise<void> {
    const id = asMessageId(this.#nextId());
    const entry: StoredEntry = { kind: 'confirmation', id, to: sender, reference, storedAt: this.clock() };
    return this.#append([entry]).then(() => {
      this.#publish({ kind: 'confirmation', to: sender, id, frame, reliable: true });
    });
  }

  // ------------------------------------------------------------ fetch

  /** FETCH_MISSING_MESSAGES_REQUEST: one page, oldest first, then COMPLETE with what is left. */
  async fetchMissing(session: Session, count: number, reference: string | undefined): Promise<void> {
    const userId = session.userId!;
    let page;
    try {
      // Messages held unstored for this user are stored first, so that the page can hold them.
      await this.#storeHeldOf(userId);
      page = await this.#store.pending(userId, count, { exclude: this.#deliveries.inFlightIds(userId) });
    } catch (err) {
      this.#backendFailed('store', err);
      session.sendError(ErrorCode.Internal, 'missing messages could not be read; try again', reference);
      return;
    }
    if (session.isClosed) return;
    for (const entry of page.entries) {
      if (entry.kind === 'presence') {
        // A kept USER_CONNECTED / USER_DISCONNECTED: tracked like a message until proven received.
        if (!session.send(encodePresence(entry.event, entry.userId), 'PRESENCE', 'RELIABLE', true)) return;
        this.#deliveries.track(userId, entry.id, [session.transport], undefined);
        continue;
      }
      const frame =
        entry.kind === 'message' ? encodeMessageRaw(entry.from, entry.contentJson, entry.id, entry.reference) : encodeConfirmation(entry.reference);
      if (!session.send(frame, entry.kind === 'message' ? 'MESSAGE' : 'MESSAGE_CONFIRMATION', 'RELIABLE', true)) return;
      this.#deliveries.track(userId, entry.id, [session.transport], entry.kind === 'message' ? this.#confirmer(entry.from, entry.reference) : undefined);
    }
    session.send(encodeFetchComplete(page.remaining), 'FETCH_MISSING_MESSAGES_COMPLETE');
  }

  // ------------------------------------------------------------ lifecycle

  /** Closes every connection with `disconnect` (1001 on shutdown) and waits for background work. */
  async shutdown(): Promise<void> {
    for (const s of this.#sessions) s.transport.close(Disconnect.ShuttingDown);
    await this.settle();
  }

  /** Waits until background store/bus work issued so far has settled. */
  async settle(): Promise<void> {
    for (;;) {
      this.#storeAllHeld();
      this.#deliveries.flush();
      if (this.#background.size === 0) return;
      await Promise.allSettled([...this.#background]);
    }
  }

  #track(work: Promise<unknown>, backend: string): void {
    const p = work.catch((err: unknown) => this.#backendFailed(backend, err));
    this.#background.add(p);
    void p.finally(() => this.#background.delete(p));
  }

  #backendFailed(backend: string, err: unknown): void {
    this.metrics.backendError(backend);
    this.logger.error({ backend, err }, 'backend operation failed');
  }
}

/** Writes `frame` to each of `sessions`; returns the transports that took it. */
function writeTo(sessions: Iterable<Session>, frame: string | Uint8Array, type: string, feature: string, proofFollows: boolean): Transport[] {
  const written: Transport[] = [];
  for (const s of sessions) if (s.send(frame, type, feature, proofFollows)) written.push(s.transport);
  return written;
}

/** True once one of `transports` proves receipt of what was written to it; false when none does. */
function firstProof(transports: readonly Transport[]): Promise<boolean> {
  if (transports.length === 1) return transports[0]!.proveDelivery();
  return new Promise((resolve) => {
    let unproven = transports.length;
    for (const transport of transports) {
      void transport.proveDelivery().then((proved) => {
        if (proved) resolve(true);
        else if (--unproven === 0) resolve(false);
      });
    }
  });
}

const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The content's JSON text: as the sender wrote it when the decoder kept its bytes, else serialized again. */
function contentText(message: MessageFrame | GroupMessageFrame): string {
  return message.contentUtf8 === undefined ? JSON.stringify(message.data.content) : utf8Decoder.decode(message.contentUtf8);
}

/**
 * A MESSAGE frame to deliver: the sender's content bytes copied into it when there are any (no
 * re-serialization); else the content's JSON text, `contentJson` when the caller already made it.
 */
function encodeDelivery(sender: Session, message: MessageFrame | GroupMessageFrame, id: MessageId, contentJson?: string): string | Uint8Array {
  if (message.contentUtf8 !== undefined) return encodeMessageUtf8(sender.messageHead, message.contentUtf8, id, message.reference);
  return encodeMessageRaw(sender.userId!, contentJson ?? JSON.stringify(message.data.content), id, message.reference);
}
