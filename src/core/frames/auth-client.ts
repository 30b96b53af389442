/** AUTH_CLIENT: must come first; once authenticated, the identity of a connection never changes. */
import { parseAuthClient } from '../../protocol/decode-frame.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { AuthClientFrame } from '../../protocol/frames.js';
import type { FrameModule } from './frame-module.js';

/** Registered for authenticated connections only; the connection itself handles the first AUTH_CLIENT. */
export const authClientFrame: FrameModule<AuthClientFrame> = {
  type: 'AUTH_CLIENT',
  parse: (envelope, limits) => parseAuthClient(envelope, limits),
  handle(connection, frame) {
    connection.sendError(ErrorCode.BadRequest, 'already authenticated; the identity of a connection never changes', frame.reference);
  },
};
