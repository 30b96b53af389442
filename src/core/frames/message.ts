/** MESSAGE: to one user, RELIABLE (stored first) or FAST (in memory). */
import { parseMessage } from '../../protocol/decode-frame.js';
import type { MessageFrame } from '../../protocol/frames.js';
import type { UserId } from '../ids.js';
import { recipientsOk } from './recipients.js';
import type { FrameContext, FrameModule } from './frame-module.js';

export function handleMessage(connection: FrameContext, frame: MessageFrame): void {
  if (!recipientsOk(connection, frame.data.to, frame.reference)) return;
  const router = connection.services.router;
  if (frame.feature === 'FAST' && !connection.hasOrderedWork) {
    router.sendFast(connection, frame.data.to as UserId, frame, undefined);
    return;
  }
  connection.ordered(router.routeMessage(connection, frame.data.to as UserId, frame));
}

export const messageFrame: FrameModule<MessageFrame> = {
  type: 'MESSAGE',
  parse: (envelope, limits, utf8) => parseMessage(envelope, limits, utf8),
  handle: handleMessage,
};
