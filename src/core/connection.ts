/**
 * Connection: one client connection's protocol state (unauthenticated → authenticating →
 * authenticated → closed) and its frame handling. Each frame type is a module of the registry
 * (core/frames/); this file runs the state machine, the rate limit and the frames before and
 * during authentication, and answers client mistakes with ERROR frames. Authentication itself is
 * connection-auth.ts; the order of a connection's work, work-chain.ts.
 */
import { Disconnect } from '../protocol/close-codes.js';
import { decodeEnvelope } from '../protocol/decode-frame.js';
import { decodeMessageUtf8 } from '../protocol/decode-message-utf8.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { encodeError, encodeMessageHead, type AuthClientFrame } from '../protocol/frames.js';
import type { FrameContext, FrameRegistry, ParsedFrame } from './frames/frame-module.js';
import { handleMessage } from './frames/message.js';
import type { VerifiedConnection } from './peer.js';
import type { Logger } from './ports.js';
import { RateLimiter } from './rate-limiter.js';
import type { OrderedWork } from './routing/router.js';
import type { Services } from './services.js';
import type { Transport } from './transport.js';
import { ReadThrottle } from './read-throttle.js';
import { ConnectionIdentity } from './connection-auth.js';
import { newActivity, sharedBy, type Activity, type Shared } from './connection-state.js';
import { WorkChain } from './work-chain.js';

/**
 * The connection whose inbound frame is being handled right now (synchronously): the sender of
 * the deliveries written meanwhile. Deliveries written later (a RELIABLE message after its commit,
 * one from another node) have no sender here and slow no one.
 */
let receiving: Connection | undefined;

/** Keeps a leading BOM (`ignoreBOM`), as the text decoder must see it to refuse the frame. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

// Its private methods are TypeScript's `private`, not `#`: `#` methods give every instance a brand field (8 bytes).
export class Connection extends ConnectionIdentity implements FrameContext, VerifiedConnection {
  readonly #shared: Shared;
  readonly #openedAt: number; // ms after the shared epoch
  #activity: Activity | undefined;

  constructor(
    /** The socket's transport (the gateway's); {@link transport} is where frames are written. */
    readonly wire: Transport,
    services: Services,
    frames: FrameRegistry,
  ) {
    super();
    const now = services.clock();
    const shared = sharedBy(services, frames, now);
    this.#shared = shared;
    this.#openedAt = (now - shared.epoch) | 0; // `| 0`: a small integer, not a boxed number
  }

  get services(): Services {
    return this.#shared.services;
  }
  get frames(): FrameRegistry {
    return this.#shared.frames;
  }
  /** When the connection opened (the services' clock). */
  get openedAt(): number {
    return this.#shared.epoch + this.#openedAt;
  }

  private get more(): Activity {
    return (this.#activity ??= newActivity());
  }

  /** Backpressure on inbound frames (rate limit, slow recipients); see read-throttle.ts. Made on the first frame after auth. */
  get throttle(): ReadThrottle {
    return (this.more.throttle ??= this.makeThrottle());
  }

  /** Made late: a bucket starts full at the opening and a full one stays full, so one made now holds what one made then would. */
  private makeThrottle(): ReadThrottle {
    const services = this.services;
    // No bucket when frames are not limited (rate 0): no clock read per frame.
    const limiter = services.limits.rateLimitPerSec > 0 ? new RateLimiter(services.limits.rateLimitPerSec, this.openedAt) : undefined;
    return new ReadThrottle(this.wire, services.scheduler, services.clock, limiter, services.metrics);
  }

  /** Where this connection's frames are written: its socket, or a resume session wrapping it. */
  get transport(): Transport {
    return this.#activity?.transport ?? this.wire;
  }
  useTransport(transport: Transport): void {
    if (transport === this.wire && this.#activity === undefined) return;
    this.more.transport = transport === this.wire ? undefined : transport;
  }
  /** Holds membership release past the socket's close; the returned function ends the hold (a closed connection is released now). */
  holdRelease(): () => void {
    this.releaseHeld = true;
    return () => {
      this.releaseHeld = false;
      if (this.authState === 'closed' && this.app !== undefined && this.userId !== undefined) this.services.membership.release(this, this.app, this.userId);
    };
  }

  get isAuthenticated(): boolean {
    return this.authState === 'authenticated';
  }
  get isClosed(): boolean {
    return this.authState === 'closed';
  }
  /** The start of every MESSAGE frame this connection's user sends, as bytes (made on first use, after auth). */
  get messageHead(): Uint8Array {
    return (this.more.messageHead ??= encodeMessageHead(this.userId!));
  }
  get log(): Logger {
    return (this.more.log ??= this.services.logger.child(this.userId === undefined ? { connectionId: this.transport.id } : { connectionId: this.transport.id, appId: this.app?.appId, userId: this.userId }));
  }
  protected idsChanged(): void {
    if (this.#activity !== undefined) this.#activity.log = undefined;
  }
  get hasOrderedWork(): boolean {
    return this.#activity?.work?.busy === true;
  }

  /** Writes a frame and counts it. `proofFollows`: see {@link Transport.send}. */
  send(frame: string | Uint8Array, type: string, feature = '', proofFollows = false): boolean {
    const ok = this.transport.send(frame, proofFollows);
    if (ok) {
      this.services.metrics.frameOut(type, feature);
      // This reader is more than half its --max-buffered-bytes behind: slow down whoever wrote to it.
      if (receiving !== undefined && receiving !== this && this.wire.backlogged?.() === true) receiving.throttle.holdWhile((this.more.readerBacklogged ??= () => this.wire.backlogged?.() === true));
    }
    return ok;
  }

  sendError(code: ErrorCode, message: string, reference?: string): void {
    this.services.metrics.protocolError(code);
    this.send(encodeError(code, message, reference), 'ERROR');
  }

  close(disconnect: Disconnect): void {
    this.transport.close(disconnect);
  }

  /** A binary frame: the protocol is JSON text only. */
  handleBinary(): void {
    this.services.metrics.frameIn('binary');
    this.refuse(ErrorCode.BadRequest, 'binary frames are not supported; send JSON text frames');
  }

  /**
   * One inbound text frame as UTF-8 bytes. A plain MESSAGE from an authenticated connection is read from the bytes
   * themselves (no string of the frame, no value of its content); anything else is decoded as text. Never throws.
   */
  handleUtf8(bytes: Uint8Array): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the sender of this turn's writes, cleared below
    receiving = this;
    try {
      this.readUtf8(bytes);
    } finally {
      receiving = undefined;
    }
  }

  private readUtf8(bytes: Uint8Array): void {
    if (this.authState === 'authenticated') {
      const frame = decodeMessageUtf8(bytes, this.services.limits.decode);
      if (frame !== undefined) {
        this.services.metrics.frameIn('MESSAGE');
        if (this.admitFrame(frame) && this.passFilters(frame)) handleMessage(this, frame);
        return;
      }
    }
    this.handleText(utf8.decode(bytes), bytes);
  }

  /** One inbound text frame; `utf8`, when the transport has them, its bytes (content forwarded as written). Never throws. */
  handleText(text: string, utf8?: Uint8Array): void {
    const state = this.authState;
    if (state === 'closed') return;
    if (state === 'authenticating') {
      const backlog = (this.more.backlog ??= []);
      if (backlog.length >= this.services.limits.maxBacklogFrames) {
        this.transport.close(Disconnect.BacklogFull);
        return;
      }
      backlog.push(text);
      return;
    }
    const limits = this.services.limits.decode;
    const envelope = decodeEnvelope(text, limits, this.frames.has);
    if (!envelope.ok) {
      this.services.metrics.frameIn('invalid');
      this.refuse(envelope.error.code, envelope.error.message, envelope.error.reference);
      return;
    }
    const type = envelope.frame.type;
    const module = this.frames.get(type)!;
    const parsed = module.parse(envelope.frame, limits, utf8);
    if (!parsed.ok) {
      this.services.metrics.frameIn('invalid');
      this.refuse(parsed.error.code, parsed.error.message, parsed.error.reference);
      return;
    }
    const frame = parsed.frame;
    this.services.metrics.frameIn(frame.type);
    if (state === 'unauthenticated') {
      if (frame.type === 'AUTH_CLIENT') void this.authenticate(frame as AuthClientFrame)?.finally(() => this.drainBacklog());
      else this.refuse(ErrorCode.Unauthenticated, 'send AUTH_CLIENT first', frame.reference);
      return;
    }
    if (this.admitFrame(frame) && this.passFilters(frame)) module.handle(this, frame);
  }

  /** False when a plugin answered the frame itself (a repeated send the resume plugin already accepted). */
  private passFilters(frame: ParsedFrame, from = 0): boolean {
    const filters = this.#shared.filters;
    for (let i = from; i < filters.length; i++) {
      const after = (this.more.afterFilter ??= filters.map((_, j) => (held: ParsedFrame) => this.handleHeld(j, held)));
      if (filters[i]!.frameReceived!(this, frame, after[i]!) === false) return false;
    }
    return true;
  }

  /** A frame filter `i` held, handled now: the filters after it, then the frame's module. */
  private handleHeld(i: number, frame: ParsedFrame): void {
    if (this.authState === 'authenticated' && this.passFilters(frame, i + 1)) this.frames.get(frame.type)?.handle(this, frame);
  }

  /**
   * The rate limit of an authenticated connection: over it, the socket stops being read until the
   * bucket refills (the frame is processed). Only a transport that cannot pause refuses the frame
   * (false, and an ERROR RATE_LIMITED).
   */
  private admitFrame(frame: ParsedFrame): boolean {
    if (!this.throttle.admit()) {
      this.sendError(ErrorCode.RateLimited, `more than ${this.services.limits.rateLimitPerSec} frames/s; frame not processed`, frame.reference);
      return false;
    }
    return true;
  }

  /** A client mistake: an ERROR frame; before auth, too many of them close the socket. */
  private refuse(code: ErrorCode, message: string, reference?: string): void {
    this.sendError(code, message, reference);
    if (this.authState === 'unauthenticated' && this.countErrorBeforeAuth() >= this.services.limits.maxErrorsBeforeAuth) {
      this.transport.close(Disconnect.TooManyErrorsBeforeAuth);
    }
  }

  private drainBacklog(): void {
    const frames = this.#activity?.backlog;
    if (frames === undefined) return;
    this.#activity!.backlog = undefined;
    for (const text of frames) this.handleText(text);
  }

  /** Runs `work.after` once everything this connection ordered before it has run (work-chain.ts). */
  ordered(work: OrderedWork): void {
    (this.more.work ??= new WorkChain()).ordered(work);
  }

  chainFetch(fetch: () => Promise<void>): void {
    (this.more.work ??= new WorkChain()).chainFetch(fetch);
  }

  /** Called by the gateway once the socket has closed (any reason). Idempotent. */
  closed(): void {
    const state = this.authState;
    if (state === 'closed') return;
    this.authState = 'closed';
    if (this.#activity !== undefined) this.#activity.backlog = undefined;
    this.#activity?.throttle?.stop();
    if (state === 'authenticated' && !this.releaseHeld) this.services.membership.release(this, this.app!, this.userId!);
  }
}
