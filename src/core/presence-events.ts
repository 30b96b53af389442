/**
 * PresenceEvents: USER_CONNECTED / USER_DISCONNECTED to an app's master user, once per transition
 * of the user's cluster-wide state (membership.ts decides the transitions).
 */
import { encodePresence } from '../protocol/frames.js';
import type { ClientApp } from './client-apps.js';
import type { Publisher } from './delivery/publisher.js';
import type { NodeId, UserId } from './ids.js';
import { userChannel } from './ports.js';

export type PresenceEvent = 'USER_CONNECTED' | 'USER_DISCONNECTED';

export class PresenceEvents {
  constructor(
    readonly nodeId: NodeId,
    readonly publisher: Publisher,
  ) {}

  /** Tells `app`'s master user that `userId` came or went (nothing for the master user itself). */
  report(app: ClientApp, event: PresenceEvent, userId: UserId): void {
    const master = app.masterUserId;
    if (userId === master) return;
    this.publisher.publish(userChannel(master), { kind: 'presence', origin: this.nodeId, to: master, frame: encodePresence(event, userId) });
  }
}
