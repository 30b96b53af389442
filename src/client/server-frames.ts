/**
 * What the client does with a server frame once authenticated: messages to the app (once, by id;
 * collected by a fetch the app asked for), acceptances and refusals to the outbox, token refresh
 * replies, confirmations and presence as events.
 */
import { ServerError } from './client-errors.js';
import type { Fetches } from './fetches.js';
import type { SeenIds } from './inbound.js';
import type { Outbox } from './outbox.js';
import type { Replies } from './replies.js';
import type { ClientEvents, RefreshResult } from './types.js';
import { receivedMessage, str, type ServerFrameLike } from './wire.js';

/** The parts of the client a frame reaches. */
export interface FrameTargets {
  readonly seen: SeenIds;
  readonly fetches: Fetches;
  readonly outbox: Outbox;
  readonly refreshes: Replies<RefreshResult>;
  readonly stats: { duplicates: number };
  emit<K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]): void;
  /** A send refused for now (rate limit, server trouble): re-sent after a pause if still waiting. */
  resendLater(reference: string): void;
}

export function dispatchServerFrame(frame: ServerFrameLike, d: Record<string, unknown>, t: FrameTargets): void {
  switch (frame.type) {
    case 'MESSAGE': {
      const message = receivedMessage(frame, d);
      if (t.seen.check(message.id)) {
        t.stats.duplicates++;
        return;
      }
      if (!t.fetches.collect(message)) t.emit('message', message);
      return;
    }
    case 'FETCH_MISSING_MESSAGES_COMPLETE':
      return t.fetches.complete(typeof d.leftMissingCount === 'number' ? d.leftMissingCount : 0);
    case 'MESSAGE_ACCEPTED':
      t.outbox.accepted(str(d.reference), str(d.id));
      t.emit('accepted', { reference: str(d.reference), id: str(d.id) });
      return;
    case 'REFRESH_TOKEN_REPLY':
      t.refreshes.settle(str(frame.reference), { ok: d.ok === true, expiresAt: typeof d.expiresAt === 'number' ? d.expiresAt : null });
      return;
    case 'MESSAGE_CONFIRMATION':
      t.emit('confirmation', { reference: str(d.reference) });
      return;
    case 'USER_CONNECTED':
    case 'USER_DISCONNECTED':
      t.emit(frame.type === 'USER_CONNECTED' ? 'userConnected' : 'userDisconnected', { userId: str(d.userId) });
      return;
    case 'ERROR': {
      const reference = typeof d.reference === 'string' ? d.reference : undefined;
      if (reference !== undefined && t.outbox.refused(reference, str(d.code), str(d.message))) t.resendLater(reference);
      t.emit('error', new ServerError(str(d.code), str(d.message), reference));
      return;
    }
    default:
      return;
  }
}
