/**
 * CLOSE_CONNECTION {userId} (seed 002's later addition, contract §13): the app's master user closes
 * every connection of one of its users, on every node, with code 4000. From anyone else, or for a
 * user of another app: ERROR FORBIDDEN.
 */
import { Disconnect } from '../../protocol/close-codes.js';
import { fail, type Envelope, type ParseResult } from '../../protocol/decode-frame.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { DecodeLimits } from '../../protocol/frames.js';
import type { UserId } from '../ids.js';
import { userChannel } from '../ports.js';
import type { FrameModule } from './frame-module.js';

export interface CloseConnectionFrame {
  readonly type: 'CLOSE_CONNECTION';
  readonly data: { readonly userId: string };
  readonly reference: string | undefined;
}

function parse(e: Envelope, limits: DecodeLimits): ParseResult<CloseConnectionFrame> {
  const userId = e.data.userId;
  if (typeof userId !== 'string' || userId === '' || userId.length > limits.maxIdLength) return fail(ErrorCode.BadRequest, 'data.userId must be a non-empty string', e.reference);
  return { ok: true, frame: { type: 'CLOSE_CONNECTION', data: { userId }, reference: e.reference } };
}

export const closeConnectionFrame: FrameModule<CloseConnectionFrame> = {
  type: 'CLOSE_CONNECTION',
  parse,
  handle(connection, frame) {
    const app = connection.app!;
    const target = frame.data.userId;
    if (connection.userId !== app.masterUserId) {
      connection.sendError(ErrorCode.Forbidden, 'only the app\'s master user may close connections', frame.reference);
      return;
    }
    const check = connection.services.apps.checkRecipient(app, target);
    if (check !== 'ok') {
      if (check === 'forbidden') connection.sendError(ErrorCode.Forbidden, `${JSON.stringify(target.slice(0, 64))} is not a user of this app`, frame.reference);
      else connection.sendError(ErrorCode.BadRequest, `${JSON.stringify(target.slice(0, 64))} is not a userId (<appName>-<digits>)`, frame.reference);
      return;
    }
    const { nodeId, publisher } = connection.services;
    const to = target as UserId;
    const { code, reason } = Disconnect.ClosedByMaster;
    publisher.publish(userChannel(to), { kind: 'close', origin: nodeId, to, code, reason });
  },
};
