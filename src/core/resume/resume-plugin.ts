/**
 * The resume plugin (docs/protocol.md, "Session resume"): a client that authenticates with
 * `data.resume` gets a session. Its frames are numbered and kept until acknowledged (ACK); after
 * a drop the session waits `windowMs` with its connection still registered, so deliveries keep
 * landing in it; a client that comes back with the session's id, token and last `seq` gets
 * exactly the frames after it (`resumed: true`), or a new session (`resumed: false`) and fetches
 * what is stored. Repeated sends (same user and reference) are accepted once (AcceptLog).
 * Sessions live in this node's memory: a resume that reaches another node, or this node after a
 * restart, is refused, and the client's fetch brings the RELIABLE backlog from the store.
 */
import { Disconnect, shouldReconnect } from '../../protocol/close-codes.js';
import { fail, isRecord } from '../../protocol/decode-frame.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { FrameModule, ParsedFrame } from '../frames/frame-module.js';
import type { Plugin } from '../plugin.js';
import type { Peer, VerifiedConnection } from '../peer.js';
import type { Services } from '../services.js';
import { AcceptLog } from './accept-log.js';
import { Session, type SessionLink } from './session.js';

export interface ResumeOptions {
  /** How long a dropped session waits for its client, ms. @default 120000 */
  readonly windowMs?: number;
  /** Most unacknowledged frames a session keeps; past it the session ends (resume refused). @default 10000 */
  readonly maxFrames?: number;
  /** Most bytes of unacknowledged frames a session keeps; past it the session ends. @default 4 MiB */
  readonly maxBytes?: number;
  /** Most sessions on this node; past it a client asking for resume gets none (plain protocol). @default 100000 */
  readonly maxSessions?: number;
  /** How long a (user, reference) is remembered for exactly-once accept, ms. @default 120000 */
  readonly acceptWindowMs?: number;
  /** Most (user, reference) pairs remembered on this node. @default 200000 */
  readonly maxAcceptEntries?: number;
}

interface AckFrame extends ParsedFrame {
  readonly type: 'ACK';
  readonly seq: number;
  /** Asks for a PONG (the client's liveness check: browsers cannot send WebSocket pings). */
  readonly ping: boolean;
}

interface Held {
  readonly session: Session;
  /** Release functions of the connections the session keeps registered. */
  holds: Array<{ readonly link: SessionLink; readonly release: () => void }>;
  cancelExpiry: (() => void) | undefined;
}

export interface ResumePlugin extends Plugin {
  /** Sessions on this node, and their unacknowledged frames (tests, metrics). */
  stats(): { sessions: number; keptFrames: number; keptBytes: number; acceptEntries: number };
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
/** 128 random bits: session ids and tokens are unguessable. */
const randomId = (): string => hex(crypto.getRandomValues(new Uint8Array(16)));

/** Compares without an early exit, so that timing tells nothing about a token. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function createResumePlugin(options: ResumeOptions = {}): ResumePlugin {
  const windowMs = options.windowMs ?? 120_000;
  const limits = { maxFrames: options.maxFrames ?? 10_000, maxBytes: options.maxBytes ?? 4 * 1024 * 1024 };
  const maxSessions = options.maxSessions ?? 100_000;
  const sessions = new Map<string, Held>();
  const links = new WeakMap<Peer, SessionLink>();
  /** The `seq` the client has, per verified connection, until it is attached. */
  const pendingAttach = new WeakMap<Peer, number>();
  let services!: Services;
  let accepts!: AcceptLog;

  const onEnd = (session: Session, disconnect: Disconnect | undefined): void => {
    if (disconnect === Disconnect.ResumeBufferFull) services.logger.warn({ userId: session.userId, maxFrames: limits.maxFrames, maxBytes: limits.maxBytes }, 'resume session ended: unacknowledged frames over the bound');
    const held = sessions.get(session.id);
    if (held === undefined || held.session !== session) return;
    sessions.delete(session.id);
    held.cancelExpiry?.();
    for (const h of held.holds.splice(0)) h.release();
  };

  const ackFrame: FrameModule<AckFrame> = {
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
      if (!link.session.ack(frame.seq)) connection.sendError(ErrorCode.BadRequest, `ACK seq ${frame.seq} is beyond the last frame sent (${link.session.seq})`, frame.reference);
      // Unnumbered, straight to the socket: it says the connection is alive, and the last seq written.
      else if (frame.ping) link.wire.send(`{"type":"PONG","data":{"seq":${link.session.seq}}}`);
    },
  };

  function verified(c: VerifiedConnection): void {
    const request = c.authData?.resume;
    const userId = c.userId;
    if (request === undefined || userId === undefined) return;
    let held: Held | undefined;
    let lastSeq = 0;
    if (request.sessionId !== undefined) {
      const old = sessions.get(request.sessionId);
      if (old !== undefined && sameText(old.session.token, request.token ?? '') && old.session.userId === userId) {
        if (old.session.canResumeFrom(request.lastSeq ?? -1)) {
          held = old;
          lastSeq = request.lastSeq!;
        } else {
          // Refused: the old session ends now, so that what it held unacknowledged is fetched at once.
          old.session.end(Disconnect.SessionResumed);
        }
      }
      if (held === undefined) services.logger.debug({ userId, sessionId: request.sessionId, known: old !== undefined }, 'resume refused');
    }
    const resumed = held !== undefined;
    if (held === undefined) {
      if (sessions.size >= maxSessions) return;
      const session = new Session(randomId(), randomId(), userId, limits, onEnd);
      held = { session, holds: [], cancelExpiry: undefined };
      sessions.set(session.id, held);
    }
    held.cancelExpiry?.();
    held.cancelExpiry = undefined;
    const session = held.session;
    const link = session.link(c.wire);
    link.observer = (frame) => accepts.observe(userId, frame);
    c.useTransport(link);
    held.holds.push({ link, release: c.holdRelease() });
    links.set(c, link);
    pendingAttach.set(c, lastSeq);
    c.addReplyFields({ session: { id: session.id, token: session.token, resumed, seq: lastSeq, windowMs } });
  }

  function authenticated(peer: Peer): void {
    const link = links.get(peer);
    const lastSeq = pendingAttach.get(peer);
    pendingAttach.delete(peer);
    if (link === undefined || lastSeq === undefined) return;
    const session = link.session;
    const held = sessions.get(session.id);
    if (held === undefined || session.current !== link) return;
    // Older connections of the session: closed if still open (a silenced socket), and released.
    for (const h of held.holds.filter((h) => h.link !== link)) {
      session.detach(h.link.wire);
      h.link.wire.close(Disconnect.SessionResumed);
      h.release();
    }
    held.holds = held.holds.filter((h) => h.link === link);
    session.attach(link.wire, lastSeq);
  }

  function closed(peer: Peer, code: number): void {
    const link = links.get(peer);
    if (link === undefined) return;
    const session = link.session;
    session.detach(link.wire);
    const held = sessions.get(session.id);
    if (held === undefined || session.current !== link) return;
    // Verified but never admitted: nothing to wait for.
    if (peer.userId === undefined || pendingAttach.has(peer)) {
      pendingAttach.delete(peer);
      session.end(undefined);
      return;
    }
    // A close the client means (1000 from close(), or a code after which clients do not reconnect): no resume will come.
    if (code === 1000 || !shouldReconnect(code)) {
      session.end(undefined);
      return;
    }
    held.cancelExpiry?.();
    held.cancelExpiry = services.scheduler.after(windowMs, () => session.end(undefined));
  }

  function received(peer: Peer, frame: ParsedFrame): boolean {
    if (frame.type !== 'MESSAGE' || frame.reference === undefined) return true;
    if (!links.has(peer)) return true;
    const admission = accepts.admit(peer.userId!, frame.reference, (answer) => peer.send(answer, 'MESSAGE_ACCEPTED'));
    if (admission.kind === 'new') return true;
    if (admission.kind === 'answered') peer.send(admission.frame, 'MESSAGE_ACCEPTED');
    return false;
  }

  return {
    name: 'resume',
    frames: [ackFrame],
    attach(s) {
      services = s;
      accepts = new AcceptLog(options.acceptWindowMs ?? 120_000, options.maxAcceptEntries ?? 200_000, s.clock);
    },
    connectionVerified: verified,
    connectionAuthenticated: authenticated,
    connectionClosed: closed,
    frameReceived: received,
    // Sessions live in this node's memory: they end with it (their unproven entries stay pending in the store).
    draining() {
      for (const held of [...sessions.values()]) held.session.end(undefined);
    },
    stop() {
      for (const held of [...sessions.values()]) held.session.end(undefined);
      return Promise.resolve();
    },
    stats() {
      let keptFrames = 0;
      let keptBytes = 0;
      for (const held of sessions.values()) {
        keptFrames += held.session.keptFrames;
        keptBytes += held.session.keptBytes;
      }
      return { sessions: sessions.size, keptFrames, keptBytes, acceptEntries: accepts.size };
    },
  };
}
