/** The ACK frame (docs/protocol.md, "Acknowledgements"): a session's cumulative acknowledgement, and the client's ping. */
import { fail, isRecord } from '../../protocol/decode-frame.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { FrameModule, ParsedFrame } from '../frames/frame-module.js';
import type { Peer } from '../peer.js';
import type { Session, SessionLink } from './session.js';

interface AckFrame extends ParsedFrame {
  readonly type: 'ACK';
  readonly seq: number;
  /** Asks for a PONG (the client's liveness check: browsers cannot send WebSocket pings). */
  readonly ping: boolean;
}

/** `links`: each connection's session link; `acked` runs after every acknowledgement taken. */
export function ackFrameModule(links: WeakMap<Peer, SessionLink>, acked: (session: Session, seq: number) => void): FrameModule<AckFrame> {
  return {
    type: 'ACK',
    parse(envelope) {
      const seq = isRecord(envelope.data) ? envelope.data.seq : undefined;
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return fail(ErrorCode.BadRequest, 'data.seq must be an integer ≥ 0', envelope.reference);
      return { ok: true, frame: { type: 'ACK', seq, ping: isRecord(envelope.data) && envelope.data.ping === true, reference: envelope.reference } };
    },
    handle(connection, frame) {
      const link = links.get(connection);
      if (link === undefined) return connection.sendError(ErrorCode.BadRequest, 'ACK needs a session: authenticate with data.resume', frame.reference);
      if (link.session.current !== link) return; // an older connection of a resumed session
      if (!link.session.ack(frame.seq)) return connection.sendError(ErrorCode.BadRequest, `ACK seq ${frame.seq} is beyond the last frame sent (${link.session.seq})`, frame.reference);
      acked(link.session, frame.seq);
      // Unnumbered, straight to the socket: it says the connection is alive, and the last seq written.
      if (frame.ping) link.wire.send(`{"type":"PONG","data":{"seq":${link.session.seq}}}`);
    },
  };
}
