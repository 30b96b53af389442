/**
 * PresenceEvents: USER_CONNECTED / USER_DISCONNECTED to an app's master user, once per transition
 * of the user's cluster-wide state (membership.ts decides the transitions). A master user who is
 * connected nowhere gets them kept in the store instead (contract §13), coalesced there to one
 * entry per user (its latest transition), and fetched with its next FETCH_MISSING_MESSAGES_REQUEST;
 * an app with `keepPresence: false` keeps none.
 *
 * Order: every event carries the generation of its transition in the presence store; the nodes of
 * the master's connections deliver each user's events in that order (PresenceOrder). The kept entry
 * must end on the user's latest state, too, though two nodes may append a user's entries in either
 * order: after its append, a node reads the user's generation again; when a newer transition
 * happened meanwhile, it appends the user's state as the store has it now (replacing its own entry,
 * or the newer one should that have come first), until the generation stays put — so the last
 * append is always of the latest state (at most KEPT_ATTEMPTS appends per event). Kept entries go to
 * the store in batches (KeptPresence: one transaction for many connections' transitions).
 */
import { encodePresence } from '../protocol/frames.js';
import type { Background } from './background.js';
import type { ClientApp } from './client-apps.js';
import type { Publisher } from './delivery/publisher.js';
import { asMessageId, type NodeId, type UserId } from './ids.js';
import type { KeptPresence } from './kept-presence.js';
import { userChannel, type Clock, type Generation, type Presence } from './ports.js';

export type PresenceEvent = 'USER_CONNECTED' | 'USER_DISCONNECTED';

/** Appends of one kept event before giving up on a user who keeps changing (then its latest entry may lag; the next transition appends again). */
const KEPT_ATTEMPTS = 5;

export interface PresenceEventsOptions {
  readonly nodeId: NodeId;
  readonly publisher: Publisher;
  readonly presence: Presence;
  /** Keeps the events of a master user who is away, in batches (its appends go behind held messages). */
  readonly kept: KeptPresence;
  readonly nextId: () => string;
  readonly clock: Clock;
  readonly background: Background;
}

export class PresenceEvents {
  readonly #o: PresenceEventsOptions;

  constructor(options: PresenceEventsOptions) {
    this.#o = options;
  }

  /** Tells `app`'s master user that `userId` came or went, in transition `generation` (nothing for the master user itself). */
  report(app: ClientApp, event: PresenceEvent, userId: UserId, generation: Generation): void {
    const o = this.#o;
    const master = app.masterUserId;
    if (userId === master) return;
    o.publisher.publish(userChannel(master), { kind: 'presence', origin: o.nodeId, to: master, frame: encodePresence(event, userId), userId, generation });
    if (app.keepPresence === false) return;
    o.background.track(
      o.presence.connectionCount(master).then((connections) => (connections > 0 ? undefined : this.#keep(master, userId, event, generation))),
      'store',
    );
  }

  /** Keeps the event for the away master; appends again while the user's generation moved on meanwhile (see the header). */
  async #keep(master: UserId, userId: UserId, event: PresenceEvent, generation: Generation): Promise<void> {
    const o = this.#o;
    for (let attempt = 0; attempt < KEPT_ATTEMPTS; attempt++) {
      // A newer transition of the user queued meanwhile may have replaced this entry: the stored one is checked.
      const stored = await o.kept.keep({ kind: 'presence', id: asMessageId(o.nextId()), to: master, userId, event, storedAt: o.clock() }, generation);
      const now = await o.presence.userPresence(userId);
      if (now.generation <= Math.max(stored, generation)) return;
      generation = now.generation;
      event = now.connections > 0 ? 'USER_CONNECTED' : 'USER_DISCONNECTED';
    }
  }
}
