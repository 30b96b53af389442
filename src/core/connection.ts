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
import type { ClientApp } from './client-apps.js';
import type { FrameContext, FrameRegistry, ParsedFrame } from './frames/frame-module.js';
import { handleMessage } from './frames/message.js';
import type { UserId } from './ids.js';
import type { Logger } from './ports.js';
import { RateLimiter } from './rate-limiter.js';
import type { OrderedWork } from './routing/router.js';
import type { ConnectionListener, Services } from './services.js';
import type { Transport } from './transport.js';
import { ReadThrottle } from './read-throttle.js';
import { AuthRecord, authenticate, type Authenticating } from './connection-auth.js';
import { WorkChain } from './work-chain.js';

/**
 * The connection whose inbound frame is being handled right now (synchronously): the sender of
 * the deliveries written meanwhile. Deliveries written later (a RELIABLE message after its commit,
 * one from another node) have no sender here and slow no one.
 */
let receiving: Connection | undefined;

/** The plugins that filter frames, per plugin list: one array for every connection of a hub. */
const filtersOf = new WeakMap<readonly ConnectionListener[], readonly ConnectionListener[]>();
const frameFilters = (plugins: readonly ConnectionListener[]): readonly ConnectionListener[] =>
  filtersOf.get(plugins) ?? filtersOf.set(plugins, plugins.filter((p) => p.frameReceived !== undefined)).get(plugins)!;

/** Keeps a leading BOM (`ignoreBOM`), as the text decoder must see it to refuse the frame. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export class Connection implements FrameContext, Authenticating {
  /** Where the connection is in the auth state machine, and who it is once authenticated. */
  readonly #auth = new AuthRecord();
  /** This connection's messages and fetches, each kept in order (see work-chain.ts); made on first use. */
  #work: WorkChain | undefined;
  /** Frames that arrived while the auth verifier was being asked; replayed in order afterwards. */
  #backlog: string[] | null = null;
  #messageHead: Uint8Array | undefined;
  /** Backpressure on inbound frames (rate limit, slow recipients); see read-throttle.ts. Made on the first frame after auth (an idle connection has none). */
  #throttle: ReadThrottle | undefined;
  /** For a sender held behind this reader: whether to hold it on (made the first time this reader is backlogged). */
  #readerBacklogged: (() => boolean) | undefined;
  readonly openedAt: number;
  /** Resume hooks (core/resume/, VerifiedConnection in peer.ts); unused without such plugins. */
  #transport: Transport;
  #releaseHeld = false;
  readonly #filters: readonly ConnectionListener[];
  /** Per filter: how it hands on a frame it held (made when a filter first sees a frame). */
  #afterFilter: ReadonlyArray<(frame: ParsedFrame) => void> | undefined;

  constructor(
    /** The socket's transport (the gateway's); {@link transport} is where frames are written. */
    readonly wire: Transport,
    readonly services: Services,
    readonly frames: FrameRegistry,
  ) {
    this.#transport = wire;
    this.#filters = frameFilters(services.plugins);
    this.openedAt = services.clock();
  }

  /** Backpressure on inbound frames (rate limit, slow recipients); see read-throttle.ts. */
  get throttle(): ReadThrottle {
    return (this.#throttle ??= this.#makeThrottle());
  }

  /** Made late: a bucket starts full at the opening and a full one stays full, so one made now holds what one made then would. */
  #makeThrottle(): ReadThrottle {
    const services = this.services;
    // No bucket when frames are not limited (rate 0): no clock read per frame.
    const limiter = services.limits.rateLimitPerSec > 0 ? new RateLimiter(services.limits.rateLimitPerSec, this.openedAt) : undefined;
    return new ReadThrottle(this.wire, services.scheduler, services.clock, limiter, services.metrics);
  }

  /** Where this connection's frames are written: its socket, or a resume session wrapping it. */
  get transport(): Transport {
    return this.#transport;
  }
  get authData(): AuthClientFrame['data'] | undefined {
    return this.#auth.data;
  }
  useTransport(transport: Transport): void {
    this.#transport = transport;
  }
  addReplyFields(fields: Record<string, unknown>): void {
    this.#auth.replyFields = { ...this.#auth.replyFields, ...fields };
  }
  /** Holds membership release past the socket's close; the returned function ends the hold (a closed connection is released now). */
  holdRelease(): () => void {
    this.#releaseHeld = true;
    return () => {
      this.#releaseHeld = false;
      if (this.#auth.state === 'closed' && this.#auth.app !== undefined && this.#auth.userId !== undefined) this.services.membership.release(this, this.#auth.app, this.#auth.userId);
    };
  }

  get isAuthenticated(): boolean {
    return this.#auth.state === 'authenticated';
  }
  get isClosed(): boolean {
    return this.#auth.state === 'closed';
  }
  get userId(): UserId | undefined {
    return this.#auth.userId;
  }
  get app(): ClientApp | undefined {
    return this.#auth.app;
  }
  /** When this connection's credentials stop being valid (ms since the epoch), if ever. */
  get expiresAt(): number | undefined {
    return this.#auth.expiresAt;
  }
  /** The token this connection authenticated with; never logged. */
  get token(): string | undefined {
    return this.#auth.token;
  }
  /** Replaces the credentials' expiry (REFRESH_TOKEN). */
  set expiresAt(at: number | undefined) {
    this.#auth.expiresAt = at;
  }
  get claims(): Readonly<Record<string, unknown>> | undefined {
    return this.#auth.claims;
  }
  /** The start of every MESSAGE frame this connection's user sends, as bytes (made on first use, after auth). */
  get messageHead(): Uint8Array {
    return (this.#messageHead ??= encodeMessageHead(this.#auth.userId!));
  }
  get log(): Logger {
    this.#auth.log ??= this.services.logger.child(this.#auth.userId === undefined ? { connectionId: this.transport.id } : { connectionId: this.transport.id, appId: this.#auth.app?.appId, userId: this.#auth.userId });
    return this.#auth.log;
  }
  get hasOrderedWork(): boolean {
    return this.#work?.busy === true;
  }

  /** Writes a frame and counts it. `proofFollows`: see {@link Transport.send}. */
  send(frame: string | Uint8Array, type: string, feature = '', proofFollows = false): boolean {
    const ok = this.transport.send(frame, proofFollows);
    if (ok) {
      this.services.metrics.frameOut(type, feature);
      // This reader is more than half its --max-buffered-bytes behind: slow down whoever wrote to it.
      if (receiving !== undefined && receiving !== this && this.wire.backlogged?.() === true) receiving.throttle.holdWhile((this.#readerBacklogged ??= () => this.wire.backlogged?.() === true));
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
    this.#refuse(ErrorCode.BadRequest, 'binary frames are not supported; send JSON text frames');
  }

  /**
   * One inbound text frame as UTF-8 bytes. A plain MESSAGE from an authenticated connection is read from the bytes
   * themselves (no string of the frame, no value of its content); anything else is decoded as text. Never throws.
   */
  handleUtf8(bytes: Uint8Array): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the sender of this turn's writes, cleared below
    receiving = this;
    try {
      this.#handleUtf8(bytes);
    } finally {
      receiving = undefined;
    }
  }

  #handleUtf8(bytes: Uint8Array): void {
    if (this.#auth.state === 'authenticated') {
      const frame = decodeMessageUtf8(bytes, this.services.limits.decode);
      if (frame !== undefined) {
        this.services.metrics.frameIn('MESSAGE');
        if (this.#admitFrame(frame) && this.#passFilters(frame)) handleMessage(this, frame);
        return;
      }
    }
    this.handleText(utf8.decode(bytes), bytes);
  }

  /** One inbound text frame; `utf8`, when the transport has them, its bytes (content forwarded as written). Never throws. */
  handleText(text: string, utf8?: Uint8Array): void {
    if (this.#auth.state === 'closed') return;
    if (this.#auth.state === 'authenticating') {
      this.#backlog ??= [];
      if (this.#backlog.length >= this.services.limits.maxBacklogFrames) {
        this.transport.close(Disconnect.BacklogFull);
        return;
      }
      this.#backlog.push(text);
      return;
    }
    const limits = this.services.limits.decode;
    const envelope = decodeEnvelope(text, limits, this.frames.has);
    if (!envelope.ok) {
      this.services.metrics.frameIn('invalid');
      this.#refuse(envelope.error.code, envelope.error.message, envelope.error.reference);
      return;
    }
    const type = envelope.frame.type;
    const module = this.frames.get(type)!;
    const parsed = module.parse(envelope.frame, limits, utf8);
    if (!parsed.ok) {
      this.services.metrics.frameIn('invalid');
      this.#refuse(parsed.error.code, parsed.error.message, parsed.error.reference);
      return;
    }
    const frame = parsed.frame;
    this.services.metrics.frameIn(frame.type);
    if (this.#auth.state === 'unauthenticated') {
      if (frame.type === 'AUTH_CLIENT') this.#authenticate(frame as AuthClientFrame);
      else this.#refuse(ErrorCode.Unauthenticated, 'send AUTH_CLIENT first', frame.reference);
      return;
    }
    if (this.#admitFrame(frame) && this.#passFilters(frame)) module.handle(this, frame);
  }

  /** False when a plugin answered the frame itself (a repeated send the resume plugin already accepted). */
  #passFilters(frame: ParsedFrame, from = 0): boolean {
    const filters = this.#filters;
    for (let i = from; i < filters.length; i++) {
      const after = (this.#afterFilter ??= filters.map((_, j) => (held: ParsedFrame) => this.#handleHeld(j, held)));
      if (filters[i]!.frameReceived!(this, frame, after[i]!) === false) return false;
    }
    return true;
  }

  /** A frame filter `i` held, handled now: the filters after it, then the frame's module. */
  #handleHeld(i: number, frame: ParsedFrame): void {
    if (this.#auth.state === 'authenticated' && this.#passFilters(frame, i + 1)) this.frames.get(frame.type)?.handle(this, frame);
  }

  /**
   * The rate limit of an authenticated connection: over it, the socket stops being read until the
   * bucket refills (the frame is processed). Only a transport that cannot pause refuses the frame
   * (false, and an ERROR RATE_LIMITED).
   */
  #admitFrame(frame: ParsedFrame): boolean {
    if (!this.throttle.admit()) {
      this.sendError(ErrorCode.RateLimited, `more than ${this.services.limits.rateLimitPerSec} frames/s; frame not processed`, frame.reference);
      return false;
    }
    return true;
  }

  /** A client mistake: an ERROR frame; before auth, too many of them close the socket. */
  #refuse(code: ErrorCode, message: string, reference?: string): void {
    this.sendError(code, message, reference);
    if (this.#auth.state === 'unauthenticated' && ++this.#auth.errorsBeforeAuth >= this.services.limits.maxErrorsBeforeAuth) {
      this.transport.close(Disconnect.TooManyErrorsBeforeAuth);
    }
  }

  #authenticate(frame: AuthClientFrame): void {
    void authenticate(this, this.#auth, frame)?.finally(() => this.#drainBacklog());
  }

  #drainBacklog(): void {
    const frames = this.#backlog;
    this.#backlog = null;
    if (frames !== null) for (const text of frames) this.handleText(text);
  }

  /** Runs `work.after` once everything this connection ordered before it has run (work-chain.ts). */
  ordered(work: OrderedWork): void {
    (this.#work ??= new WorkChain()).ordered(work);
  }

  chainFetch(fetch: () => Promise<void>): void {
    (this.#work ??= new WorkChain()).chainFetch(fetch);
  }

  /** Called by the gateway once the socket has closed (any reason). Idempotent. */
  closed(): void {
    if (this.#auth.state === 'closed') return;
    const wasAuthenticated = this.#auth.state === 'authenticated';
    this.#auth.state = 'closed';
    this.#backlog = null;
    this.#throttle?.stop();
    if (wasAuthenticated && !this.#releaseHeld) this.services.membership.release(this, this.#auth.app!, this.#auth.userId!);
  }
}
