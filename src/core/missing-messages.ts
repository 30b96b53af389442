/**
 * MissingMessages: FETCH_MISSING_MESSAGES_REQUEST. One page of what the store keeps for the user,
 * oldest first, skipping entries in flight on a live connection, each tracked until proven
 * received; then FETCH_MISSING_MESSAGES_COMPLETE with what is left. A kept USER_CONNECTED /
 * USER_DISCONNECTED that no longer matches the user's state in presence is stale — the newer
 * transition reached the master live after it came back — and is marked delivered unsent, so a
 * fetch never takes the master back to an older state than it heard live.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { encodeConfirmation, encodeFetchComplete, encodeMessageRaw, encodePresence } from '../protocol/frames.js';
import type { Background } from './background.js';
import type { Confirmations } from './delivery/confirmations.js';
import type { HeldMessages } from './delivery/held-messages.js';
import type { KeptPresence } from './kept-presence.js';
import type { DeliveryTracker } from './delivery-tracker.js';
import type { Peer } from './peer.js';
import type { MessageId } from './ids.js';
import type { MessageStore, PositionedEntry, Presence } from './ports.js';

export class MissingMessages {
  constructor(
    readonly store: MessageStore,
    readonly held: HeldMessages,
    readonly kept: Pick<KeptPresence, 'flush'>,
    readonly tracker: DeliveryTracker,
    readonly confirmations: Confirmations,
    readonly background: Background,
    readonly presence: Pick<Presence, 'userPresence'>,
  ) {}

  /** One page for `peer`'s user, at most `count` entries. Store failures are answered with ERROR INTERNAL. */
  async fetch(peer: Peer, count: number, reference: string | undefined): Promise<void> {
    const userId = peer.userId!;
    let page;
    try {
      // Messages held unstored for this user, and kept presence entries queued, are stored first, so that the page can hold them.
      await Promise.all([this.held.storeOf(userId), this.kept.flush(userId)]);
      page = await this.store.pending(userId, count, { exclude: this.tracker.inFlightIds(userId) });
    } catch (err) {
      this.background.failed('store', err);
      peer.sendError(ErrorCode.Internal, 'missing messages could not be read; try again', reference);
      return;
    }
    const stale = await this.#staleKept(page.entries);
    if (stale.length > 0) this.background.track(this.store.markDelivered(userId, stale), 'store');
    if (peer.isClosed) return;
    for (const entry of page.entries) {
      if (entry.kind === 'presence') {
        if (stale.includes(entry.id)) continue;
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

  /** The kept presence entries of `entries` whose event is not the user's state now (none when presence cannot tell). */
  async #staleKept(entries: readonly PositionedEntry[]): Promise<MessageId[]> {
    const kept = entries.filter((e) => e.kind === 'presence');
    if (kept.length === 0) return [];
    try {
      const now = await Promise.all(kept.map((e) => this.presence.userPresence(e.userId)));
      return kept.filter((e, i) => (now[i]!.connections > 0) !== (e.event === 'USER_CONNECTED')).map((e) => e.id);
    } catch (err) {
      this.background.failed('presence', err);
      return [];
    }
  }
}
