/**
 * The resume plugin (docs/protocol.md, "Session resume"): a client that authenticates with
 * `data.resume` gets a session. Its frames are numbered and kept until acknowledged (ACK); after
 * a drop the session waits `windowMs` with its connection still registered, so deliveries keep
 * landing in it; a client that comes back with the session's id, token and last `seq` gets
 * exactly the frames after it (`resumed: true`), or a new session (`resumed: false`) and fetches
 * what is stored. A session id names its home node: a resume that reaches another live node is
 * claimed from the home over the bus (claims.ts). Repeated sends (same user and reference) are
 * accepted once cluster-wide (accept-gate.ts, over the shared AcceptLog).
 */
import { Disconnect, shouldReconnect } from '../../protocol/close-codes.js';
import type { ParsedFrame } from '../frames/frame-module.js';
import type { Plugin } from '../plugin.js';
import type { Peer, VerifiedConnection } from '../peer.js';
import type { AcceptLog } from '../ports.js';
import type { Services } from '../services.js';
import { AcceptGate } from './accept-gate.js';
import { ackFrameModule } from './ack-frame.js';
import { Claims, type ClaimRequest, type Handed } from './claims.js';
import { frameKey, homeOf, newSessionId, randomHex, sameText } from './session-ids.js';
import { Session, type HandOff, type SessionLink } from './session.js';

export interface ResumeOptions {
  /** Exactly-once accept: shared by every node of a cluster (the Redis adapter), or this node's own (the memory adapter). */
  readonly acceptLog: AcceptLog;
  /** How long a dropped session waits for its client, ms. @default 120000 */
  readonly windowMs?: number;
  /** Most unacknowledged frames a session keeps; past it the session ends (resume refused). @default 10000 */
  readonly maxFrames?: number;
  /** Most bytes of unacknowledged frames a session keeps; past it the session ends. @default 4 MiB */
  readonly maxBytes?: number;
  /** Most sessions on this node; past it a client asking for resume gets none (plain protocol). @default 100000 */
  readonly maxSessions?: number;
  /** How long a claim of a session homed on another node may wait for its answer, ms; past it the resume is refused. @default 3000 */
  readonly claimTimeoutMs?: number;
}

interface Held {
  readonly session: Session;
  /** Release functions of the connections the session keeps registered. */
  holds: Array<{ readonly link: SessionLink; readonly release: () => void }>;
  cancelExpiry: (() => void) | undefined;
  /** A session resumed from another node: the handed frames' acknowledgements still to report to it. */
  handed: { readonly claimId: string; readonly home: Handed['home']; readonly upTo: number; reported: number } | undefined;
}

export interface ResumePlugin extends Plugin {
  /** Sessions on this node, and their unacknowledged frames (tests, metrics). */
  stats(): { sessions: number; keptFrames: number; keptBytes: number; claimed: number; handedOff: number; ghosts: number };
}

export function createResumePlugin(options: ResumeOptions): ResumePlugin {
  const windowMs = options.windowMs ?? 120_000;
  const limits = { maxFrames: options.maxFrames ?? 10_000, maxBytes: options.maxBytes ?? 4 * 1024 * 1024 };
  const maxSessions = options.maxSessions ?? 100_000;
  const sessions = new Map<string, Held>();
  const links = new WeakMap<Peer, SessionLink>();
  /** The `seq` the client has, per verified connection, until it is attached. */
  const pendingAttach = new WeakMap<Peer, number>();
  /** Connections whose session is being claimed from its home node. */
  const claiming = new WeakMap<Peer, { readonly home: Handed['home']; readonly request: ClaimRequest }>();
  const counts = { claimed: 0, handedOff: 0 };
  let services!: Services;
  let gate!: AcceptGate;
  let claims!: Claims;

  const onEnd = (session: Session, disconnect: Disconnect | undefined): void => {
    if (disconnect === Disconnect.ResumeBufferFull) services.logger.warn({ userId: session.userId, maxFrames: limits.maxFrames, maxBytes: limits.maxBytes }, 'resume session ended: unacknowledged frames over the bound');
    const held = sessions.get(session.id);
    if (held === undefined || held.session !== session) return;
    sessions.delete(session.id);
    held.cancelExpiry?.();
    for (const h of held.holds.splice(0)) h.release();
    // Handed frames never acknowledged here: their proofs on the home resolve false (pending in the store).
    if (held.handed !== undefined && held.handed.reported < held.handed.upTo) claims.report(held.handed.claimId, held.handed.home, -1);
  };

  /** The client acknowledged `seq` on this node: handed frames it covers are reported to their home. */
  const acked = (session: Session, seq: number): void => {
    const handed = sessions.get(session.id)?.handed;
    if (handed === undefined || seq <= handed.reported) return;
    handed.reported = Math.min(seq, handed.upTo);
    claims.report(handed.claimId, handed.home, handed.reported);
  };

  /** The home's side of a claim: the session handed off when the request matches it. */
  const handOff = (r: ClaimRequest): HandOff | undefined => {
    const held = sessions.get(r.sessionId);
    if (held === undefined || !sameText(held.session.token, r.token) || held.session.userId !== r.userId) return undefined;
    if (!held.session.canResumeFrom(r.lastSeq)) {
      held.session.end(Disconnect.SessionResumed);
      return undefined;
    }
    counts.handedOff++;
    return held.session.handOff(r.lastSeq);
  };

  function verified(c: VerifiedConnection): void {
    const request = c.authData?.resume;
    const userId = c.userId;
    if (request === undefined || userId === undefined) return;
    let held: Held | undefined;
    let lastSeq = 0;
    let resumed = false;
    if (request.sessionId !== undefined) {
      const old = sessions.get(request.sessionId);
      const home = homeOf(request.sessionId);
      if (old !== undefined && sameText(old.session.token, request.token ?? '') && old.session.userId === userId) {
        if (old.session.canResumeFrom(request.lastSeq ?? -1)) {
          held = old;
          lastSeq = request.lastSeq!;
          resumed = true;
        } else {
          // Refused: the old session ends now, so that what it held unacknowledged is fetched at once.
          old.session.end(Disconnect.SessionResumed);
        }
      } else if (old === undefined && home !== undefined && home !== services.nodeId && services.bus.isolated !== true) {
        // Homed on another node: claimed once this connection is admitted (its deliveries arrive here from then on).
        lastSeq = request.lastSeq ?? 0;
        claiming.set(c, { home, request: { sessionId: request.sessionId, token: request.token ?? '', userId, lastSeq } });
      }
      if (held === undefined && !claiming.has(c)) services.logger.debug({ userId, known: old !== undefined }, 'resume refused');
    }
    if (held === undefined) {
      if (sessions.size >= maxSessions) {
        claiming.delete(c);
        return;
      }
      const session = new Session(newSessionId(services.nodeId), randomHex(16), userId, limits, onEnd, lastSeq);
      if (claiming.has(c)) session.beginClaim();
      held = { session, holds: [], cancelExpiry: undefined, handed: undefined };
      sessions.set(session.id, held);
    }
    held.cancelExpiry?.();
    held.cancelExpiry = undefined;
    const session = held.session;
    const link = session.link(c.wire);
    link.observer = (frame) => gate.observe(userId, frame);
    c.useTransport(link);
    held.holds.push({ link, release: c.holdRelease() });
    links.set(c, link);
    pendingAttach.set(c, lastSeq);
    if (!claiming.has(c)) c.addReplyFields({ session: { id: session.id, token: session.token, resumed, seq: lastSeq, windowMs } });
  }

  /** After admission: a session homed elsewhere is claimed; the reply waits for the answer (bounded by the claim timeout). */
  async function admitted(c: VerifiedConnection): Promise<void> {
    const claim = claiming.get(c);
    const link = links.get(c);
    if (claim === undefined || link === undefined) return;
    claiming.delete(c);
    const handed = await claims.claim(claim.home, claim.request);
    const session = link.session;
    const held = sessions.get(session.id);
    if (held === undefined || session.ended) {
      // Ended meanwhile (closed, overflow): the home's proofs are released by onEnd's report, or now.
      if (handed !== undefined) claims.report(handed.claimId, handed.home, -1);
      return;
    }
    session.settleClaim(handed?.frames, frameKey);
    let lastSeq = 0;
    if (handed !== undefined) {
      counts.claimed++;
      lastSeq = claim.request.lastSeq;
      held.handed = { claimId: handed.claimId, home: handed.home, upTo: handed.seq, reported: lastSeq };
    } else {
      services.logger.debug({ userId: claim.request.userId, home: claim.home }, 'resume refused: the claim was refused or unanswered');
    }
    pendingAttach.set(c, lastSeq);
    c.addReplyFields({ session: { id: session.id, token: session.token, resumed: handed !== undefined, seq: lastSeq, windowMs } });
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

  function received(peer: Peer, frame: ParsedFrame, handle: (frame: never) => void): boolean {
    if (frame.type !== 'MESSAGE' || frame.reference === undefined || !links.has(peer)) return true;
    return gate.hold(peer, frame as ParsedFrame & { reference: string }, handle);
  }

  const endAll = (): void => {
    for (const held of [...sessions.values()]) held.session.end(undefined);
    claims.stop();
  };

  return {
    name: 'resume',
    frames: [ackFrameModule(links, acked)],
    attach(s) {
      services = s;
      gate = new AcceptGate(options.acceptLog, s.logger, s.nodeId);
      claims = new Claims(s, options.claimTimeoutMs ?? 3_000, windowMs, handOff);
      s.delivery.handle('resume', claims.onDelivery);
    },
    start: () => options.acceptLog.start(),
    connectionVerified: verified,
    connectionAdmitted: admitted,
    connectionAuthenticated: authenticated,
    connectionClosed: closed,
    frameReceived: received,
    // Sessions live in this node's memory: they end with it (their unproven entries stay pending in the store).
    draining: endAll,
    async stop() {
      endAll();
      await options.acceptLog.close();
    },
    stats() {
      let keptFrames = 0;
      let keptBytes = 0;
      for (const held of sessions.values()) {
        keptFrames += held.session.keptFrames;
        keptBytes += held.session.keptBytes;
      }
      return { sessions: sessions.size, keptFrames, keptBytes, ...counts, ghosts: claims.ghosts };
    },
  };
}
