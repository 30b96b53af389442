/**
 * REFRESH_TOKEN {token} (contract §10): the connection's credentials replaced after the same checks
 * as at AUTH_CLIENT, for the same user only. REFRESH_TOKEN_REPLY {ok, expiresAt} (ms since the
 * epoch, null: never); a refused token changes nothing.
 */
import { fail, type Envelope, type ParseResult } from '../../protocol/decode-frame.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { encodeRefreshReply } from '../../protocol/frames.js';
import type { FrameModule } from '../frames/frame-module.js';

/** Longest token taken, characters (as AUTH_CLIENT's). */
const MAX_TOKEN_LENGTH = 16_384;

export interface RefreshTokenFrame {
  readonly type: 'REFRESH_TOKEN';
  readonly data: { readonly token: string };
  readonly reference: string | undefined;
}

function parse(e: Envelope): ParseResult<RefreshTokenFrame> {
  const token = e.data.token;
  if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) return fail(ErrorCode.BadRequest, `data.token must be a non-empty string of at most ${MAX_TOKEN_LENGTH} characters`, e.reference);
  return { ok: true, frame: { type: 'REFRESH_TOKEN', data: { token }, reference: e.reference } };
}

export const refreshTokenFrame: FrameModule<RefreshTokenFrame> = {
  type: 'REFRESH_TOKEN',
  parse,
  handle(connection, frame) {
    const app = connection.app!;
    const userId = connection.userId!;
    const reply = (ok: boolean): void => {
      if (!connection.isClosed) connection.send(withReference(encodeRefreshReply(ok, connection.expiresAt), frame.reference), 'REFRESH_TOKEN_REPLY');
    };
    void connection.services.auth.verify(app, { appId: app.appId, userId, token: frame.data.token }).then((verdict) => {
      if (verdict.ok) connection.expiresAt = verdict.expiresAt;
      reply(verdict.ok);
    });
  },
};

/** The request's reference repeated at the top level, as every answer to a referenced frame has it. */
function withReference(frame: string, reference: string | undefined): string {
  return reference === undefined ? frame : `${frame.slice(0, -1)},"reference":${JSON.stringify(reference)}}`;
}
