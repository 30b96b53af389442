/**
 * PresenceEvents: USER_CONNECTED / USER_DISCONNECTED to an app's master user, once per transition
 * of the user's cluster-wide state (membership.ts decides the transitions). A master user who is
 * connected nowhere gets them kept in the store instead (contract §13), coalesced there to one
 * entry per user (its latest transition), and fetched with its next FETCH_MISSING_MESSAGES_REQUEST;
 * an app with `keepPresence: false` keeps none.
 */
import { encodePresence } from '../protocol/frames.js';
import type { Background } from './background.js';
import type { ClientApp } from './client-apps.js';
import type { Publisher } from './delivery/publisher.js';
import { asMessageId, type NodeId, type UserId } from './ids.js';
import { userChannel, type Clock, type MessageStore, type Presence } from './ports.js';

export type PresenceEvent = 'USER_CONNECTED' | 'USER_DISCONNECTED';

export interface PresenceEventsOptions {
  readonly nodeId: NodeId;
  readonly publisher: Publisher;
  readonly presence: Presence;
  /** Keeps the events of a master user who is away; appends go behind held messages (HeldMessages.append). */
  readonly append: MessageStore['append'];
  readonly nextId: () => string;
  readonly clock: Clock;
  readonly background: Background;
}

export class PresenceEvents {
  readonly #o: PresenceEventsOptions;

  constructor(options: PresenceEventsOptions) {
    this.#o = options;
  }

  /** Tells `app`'s master user that `userId` came or went (nothing for the master user itself). */
  report(app: ClientApp, event: PresenceEvent, userId: UserId): void {
    const o = this.#o;
    const master = app.masterUserId;
    if (userId === master) return;
    o.publisher.publish(userChannel(master), { kind: 'presence', origin: o.nodeId, to: master, frame: encodePresence(event, userId) });
    if (app.keepPresence === false) return;
    const storedAt = o.clock();
    const id = asMessageId(o.nextId());
    o.background.track(
      o.presence.connectionCount(master).then((connections) => {
        if (connections > 0) return undefined;
        return o.append([{ kind: 'presence', id, to: master, userId, event, storedAt }]);
      }),
      'store',
    );
  }
}
