/** GROUP_MESSAGE: one copy per distinct recipient; no confirmation (seed). */
import { parseGroupMessage } from '../../protocol/decode-frame.js';
import type { GroupMessageFrame } from '../../protocol/frames.js';
import type { UserId } from '../ids.js';
import { recipientsOk } from './recipients.js';
import type { FrameModule } from './frame-module.js';

export const groupMessageFrame: FrameModule<GroupMessageFrame> = {
  type: 'GROUP_MESSAGE',
  parse: (envelope, limits, utf8) => parseGroupMessage(envelope, limits, utf8),
  handle(connection, frame) {
    if (!recipientsOk(connection, frame.data.to, frame.reference)) return;
    connection.ordered(connection.services.router.routeGroup(connection, frame.data.to as readonly UserId[], frame));
  },
};
