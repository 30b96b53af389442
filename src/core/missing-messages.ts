/**
 * MissingMessages: FETCH_MISSING_MESSAGES_REQUEST. One page of what the store keeps for the user,
 * oldest first, skipping entries in flight on a live connection, each tracked until proven
 * received; then FETCH_MISSING_MESSAGES_COMPLETE with what is left.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { encodeConfirmation, encodeFetchComplete, encodeMessageRaw, encodePresence } from '../protocol/frames.js';
import type { Background } from './background.js';
import type { Confirmations } from './delivery/confirmations.js';
import type { HeldMessages } from './delivery/held-messages.js';
import type { DeliveryTracker } from './delivery-tracker.js';
import type { Peer } from './peer.js';
import type { MessageStore } from './ports.js';

export class MissingMessages {
  constructor(
    readonly store: MessageStore,
    readonly held: HeldMessages,
    readonly tracker: DeliveryTracker,
    readonly confirmations: Confirmations,
    readonly background: Background,
  ) {}

  /** One page for `peer`'s user, at most `count` entries. Store failures are answered with ERROR INTERNAL. */
  async fetch(peer: Peer, count: number, reference: string | undefined): Promise<void> {
    const userId = peer.userId!;
    let page;
    try {
      // Messages held unstored for this user are stored first, so that the page can hold them.
      await this.held.storeOf(userId);
      page = await this.store.pending(userId, count, { exclude: this.tracker.inFlightIds(userId) });
    } catch (err) {
      this.background.failed('store', err);
      peer.sendError(ErrorCode.Internal, 'missing messages could not be read; try again', reference);
      return;
    }
    if (peer.isClosed) return;
    for (const entry of page.entries) {
      if (entry.kind === 'presence') {
        // A kept USER_CONNECTED / USER_DISCONNECTED: tracked like a message until proven received.
        if (!peer.send(encodePresence(entry.event, entry.userId), 'PRESENCE', 'RELIABLE', true)) return;
        this.tracker.track(userId, entry.id, [peer.transport]);
        continue;
      }
      const frame = entry.kind === 'message' ? encodeMessageRaw(entry.from, entry.contentJson, entry.id, entry.reference) : encodeConfirmation(entry.reference);
      if (!peer.send(frame, entry.kind === 'message' ? 'MESSAGE' : 'MESSAGE_CONFIRMATION', 'RELIABLE', true)) return;
      this.tracker.track(userId, entry.id, [peer.transport], entry.kind === 'message' && entry.confirm !== false ? this.confirmations.confirmer(entry.from, entry.reference, entry.id) : undefined);
    }
    peer.send(encodeFetchComplete(page.remaining), 'FETCH_MISSING_MESSAGES_COMPLETE');
  }
}
