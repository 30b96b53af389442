/**
 * Connection: one client connection's protocol state (unauthenticated → authenticating →
 * authenticated → closed) and its frame handling. Each frame type is a module of the registry
 * (core/frames/); this file runs the state machine, authentication, the rate limit and the order
 * of a connection's work, and answers client mistakes with ERROR frames.
 */
import { Disconnect } from '../protocol/close-codes.js';
import { decodeEnvelope } from '../protocol/decode-frame.js';
import { decodeMessageUtf8 } from '../protocol/decode-message-utf8.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { encodeAuthReply, encodeError, encodeMessageHead, type AuthClientFrame } from '../protocol/frames.js';
import type { ClientApp } from './client-apps.js';
import type { VerifiedConnection } from './peer.js';
import type { FrameContext, FrameRegistry, ParsedFrame } from './frames/frame-module.js';
import { handleMessage } from './frames/message.js';
import type { UserId } from './ids.js';
import type { Logger } from './ports.js';
import { RateLimiter } from './rate-limiter.js';
import type { OrderedWork } from './routing/router.js';
import type { ConnectionListener, Services } from './services.js';
import type { Transport } from './transport.js';
import { ReadThrottle } from './read-throttle.js';
import { authGateOf } from './auth-gate.js';

/**
 * The connection whose inbound frame is being handled right now (synchronously): the sender of
 * the deliveries written meanwhile. Deliveries written later (a RELIABLE message after its commit,
 * one from another node) have no sender here and slow no one.
 */
let receiving: Connection | undefined;


/** Keeps a leading BOM (`ignoreBOM`), as the text decoder must see it to refuse the frame. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

type State = 'unauthenticated' | 'authenticating' | 'authenticated' | 'closed';

export class Connection implements FrameContext, VerifiedConnection {
  #state: State = 'unauthenticated';
  #errorsBeforeAuth = 0;
  /** Frames that arrived while the auth verifier was being asked; replayed in order afterwards. */
  #backlog: string[] | null = null;
  /**
   * Tail of this connection's ordered work: a FAST message sent after a RELIABLE one that is still
   * being committed waits for it, so one sender's messages keep their order (contract rule 6).
   */
  #tail: Promise<void> | null = null;
  #tailLength = 0;
  /** Tail of this connection's fetches (null until the first). */
  #fetchChain: Promise<void> | null = null;
  #app: ClientApp | undefined;
  #userId: UserId | undefined;
  #messageHead: Uint8Array | undefined;
  /** When the credentials stop being valid (a JWT's exp), ms since the epoch; undefined: never. */
  #expiresAt: number | undefined;
  #claims: Readonly<Record<string, unknown>> | undefined;
  /** The token of AUTH_CLIENT, kept for upstream calls on the user's behalf (never logged). */
  #token: string | undefined;
  /** Child logger with this connection's ids, made on first use (most connections never log). */
  #log: Logger | undefined;
  /** Backpressure on inbound frames (rate limit, slow recipients); see read-throttle.ts. */
  readonly throttle: ReadThrottle;
  /** For a sender held behind this reader: whether to hold it on. */
  readonly #readerBacklogged = (): boolean => this.wire.backlogged?.() === true;
  readonly openedAt: number;
  /** Resume hooks (core/resume/, VerifiedConnection in peer.ts); unused without such plugins. */
  #transport: Transport;
  #authData: AuthClientFrame['data'] | undefined;
  #replyFields: Record<string, unknown> | undefined;
  #releaseHeld = false;
  readonly #filters: readonly ConnectionListener[];

  constructor(
    /** The socket's transport (the gateway's); {@link transport} is where frames are written. */
    readonly wire: Transport,
    readonly services: Services,
    readonly frames: FrameRegistry,
  ) {
    this.#transport = wire;
    this.#filters = services.plugins.filter((p) => p.frameReceived !== undefined);
    this.openedAt = services.clock();
    // No bucket when frames are not limited (rate 0): no clock read per frame.
    const limiter = services.limits.rateLimitPerSec > 0 ? new RateLimiter(services.limits.rateLimitPerSec, this.openedAt) : undefined;
    this.throttle = new ReadThrottle(wire, services.scheduler, services.clock, limiter, services.metrics);
  }

  /** Where this connection's frames are written: its socket, or a resume session wrapping it. */
  get transport(): Transport {
    return this.#transport;
  }
  get authData(): AuthClientFrame['data'] | undefined {
    return this.#authData;
  }
  useTransport(transport: Transport): void {
    this.#transport = transport;
  }
  addReplyFields(fields: Record<string, unknown>): void {
    this.#replyFields = { ...this.#replyFields, ...fields };
  }
  /** Holds membership release past the socket's close; the returned function ends the hold (a closed connection is released now). */
  holdRelease(): () => void {
    this.#releaseHeld = true;
    return () => {
      this.#releaseHeld = false;
      if (this.#state === 'closed' && this.#app !== undefined && this.#userId !== undefined) this.services.membership.release(this, this.#app, this.#userId);
    };
  }

  get isAuthenticated(): boolean {
    return this.#state === 'authenticated';
  }
  get isClosed(): boolean {
    return this.#state === 'closed';
  }
  get userId(): UserId | undefined {
    return this.#userId;
  }
  get app(): ClientApp | undefined {
    return this.#app;
  }
  /** When this connection's credentials stop being valid (ms since the epoch), if ever. */
  get expiresAt(): number | undefined {
    return this.#expiresAt;
  }
  /** The token this connection authenticated with; never logged. */
  get token(): string | undefined {
    return this.#token;
  }
  /** Replaces the credentials' expiry (REFRESH_TOKEN). */
  set expiresAt(at: number | undefined) {
    this.#expiresAt = at;
  }
  get claims(): Readonly<Record<string, unknown>> | undefined {
    return this.#claims;
  }
  /** The start of every MESSAGE frame this connection's user sends, as bytes (made on first use, after auth). */
  get messageHead(): Uint8Array {
    return (this.#messageHead ??= encodeMessageHead(this.#userId!));
  }
  get log(): Logger {
    this.#log ??= this.services.logger.child(this.#userId === undefined ? { connectionId: this.transport.id } : { connectionId: this.transport.id, appId: this.#app?.appId, userId: this.#userId });
    return this.#log;
  }
  get hasOrderedWork(): boolean {
    return this.#tail !== null;
  }

  /** Writes a frame and counts it. `proofFollows`: see {@link Transport.send}. */
  send(frame: string | Uint8Array, type: string, feature = '', proofFollows = false): boolean {
    const ok = this.transport.send(frame, proofFollows);
    if (ok) {
      this.services.metrics.frameOut(type, feature);
      // This reader is more than half its --max-buffered-bytes behind: slow down whoever wrote to it.
      if (receiving !== undefined && receiving !== this && this.wire.backlogged?.() === true) receiving.throttle.holdWhile(this.#readerBacklogged);
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
   * One inbound text frame as UTF-8 bytes (as the socket gave it). A plain MESSAGE from an
   * authenticated connection is read from the bytes themselves (no string of the frame, no value
   * of its content); anything else is decoded as text. Never throws for client input.
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
    if (this.#state === 'authenticated') {
      const frame = decodeMessageUtf8(bytes, this.services.limits.decode);
      if (frame !== undefined) {
        this.services.metrics.frameIn('MESSAGE');
        if (this.#admitFrame(frame) && this.#passFilters(frame)) handleMessage(this, frame);
        return;
      }
    }
    this.handleText(utf8.decode(bytes), bytes);
  }

  /**
   * One inbound text frame. `utf8`, when the transport has them, is the same frame's bytes: a
   * message's content is then forwarded as the sender wrote it. Never throws for client input.
   */
  handleText(text: string, utf8?: Uint8Array): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'authenticating') {
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
    if (this.#state === 'unauthenticated') {
      if (frame.type === 'AUTH_CLIENT') this.#authenticate(frame as AuthClientFrame);
      else this.#refuse(ErrorCode.Unauthenticated, 'send AUTH_CLIENT first', frame.reference);
      return;
    }
    if (this.#admitFrame(frame) && this.#passFilters(frame)) module.handle(this, frame);
  }

  /** False when a plugin answered the frame itself (a repeated send the resume plugin already accepted). */
  #passFilters(frame: ParsedFrame): boolean {
    for (const plugin of this.#filters) if (plugin.frameReceived!(this, frame) === false) return false;
    return true;
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
    if (this.#state === 'unauthenticated' && ++this.#errorsBeforeAuth >= this.services.limits.maxErrorsBeforeAuth) {
      this.transport.close(Disconnect.TooManyErrorsBeforeAuth);
    }
  }

  #authenticate(frame: AuthClientFrame): void {
    const { appId, userId, token } = frame.data;
    const services = this.services;
    const app = services.apps.byId(appId);
    const reject = (why: string): void => {
      this.log.info({ appId, userId, why }, 'authentication refused');
      this.send(encodeAuthReply(appId, userId, false), 'AUTH_CLIENT_REPLY');
      if (++this.#errorsBeforeAuth >= services.limits.maxErrorsBeforeAuth) this.transport.close(Disconnect.TooManyErrorsBeforeAuth);
    };
    if (app === undefined) return reject('unknown appId');
    if (!services.apps.isUserOf(app, userId)) return reject('userId is not <appName>-<digits>');

    this.#state = 'authenticating';
    // At most limits.maxAuthConcurrency verifications at once per node; a full queue is told to retry later.
    const verifying = authGateOf(services).run(() => services.auth.verify(app, { appId, userId, token }));
    if (verifying === undefined) {
      this.#state = 'unauthenticated';
      return reject('busy: too many authentications waiting; retry later');
    }
    verifying
      .then(async (verdict) => {
        if (this.#state !== 'authenticating') return; // closed meanwhile
        if (!verdict.ok) {
          this.#state = 'unauthenticated';
          reject(verdict.reason ?? 'credentials refused');
          return;
        }
        this.#authData = frame.data;
        this.#app = app;
        this.#userId = userId as UserId;
        for (const plugin of services.plugins) plugin.connectionVerified?.(this);
        const admitted = await services.membership.admit(this, app, userId as UserId);
        if (!admitted) {
          this.#state = 'unauthenticated';
          this.#app = undefined;
          this.#userId = undefined;
          this.#transport = this.wire; // a resume session taken for it stays out of it
          this.send(encodeAuthReply(appId, userId, false), 'AUTH_CLIENT_REPLY');
          this.transport.close(Disconnect.TooManyConnections);
          return;
        }
        if (this.#state !== 'authenticating') {
          // Closed while being admitted: undo the registration.
          services.membership.release(this, app, userId as UserId);
          return;
        }
        this.#expiresAt = verdict.expiresAt;
        this.#claims = verdict.claims;
        this.#token = token;
        this.#log = undefined; // the next use carries appId and userId
        this.#state = 'authenticated';
        // Straight to the socket: a resume session numbers only the frames after this reply.
        if (this.wire.send(encodeAuthReply(appId, userId, true, this.#replyFields))) services.metrics.frameOut('AUTH_CLIENT_REPLY', '');
        for (const plugin of services.plugins) plugin.connectionAuthenticated?.(this);
        if (services.logger.isLevelEnabled('debug')) this.log.debug({}, 'authenticated');
      })
      .catch((err: unknown) => {
        this.log.error({ err }, 'authentication failed');
        if (this.#state === 'authenticating') {
          this.#state = 'unauthenticated';
          this.#app = undefined;
          this.#userId = undefined;
          reject('internal error');
        }
      })
      .finally(() => this.#drainBacklog());
  }

  #drainBacklog(): void {
    const frames = this.#backlog;
    this.#backlog = null;
    if (frames !== null) for (const text of frames) this.handleText(text);
  }

  /**
   * Runs `work.after` once everything queued before it on this connection has run. `work.ready`
   * is what must settle first (a store commit); FAST work has none and runs at once when the
   * tail is empty.
   */
  ordered(work: OrderedWork): void {
    const { ready, after } = work;
    const tail = this.#tail;
    if (tail === null && ready === undefined) {
      after(true);
      return;
    }
    // What must settle first: the commit alone when nothing waits ahead; else the tail, then the commit.
    let first: Promise<unknown>;
    if (tail === null) first = ready!;
    else if (ready === undefined) first = tail;
    else {
      // A commit that fails while the tail still waits is handled when the tail gets to it.
      ready.catch(() => undefined);
      first = tail.then(() => ready);
    }
    this.#tailLength++;
    const settle = (ok: boolean): void => {
      if (--this.#tailLength === 0) this.#tail = null;
      after(ok);
    };
    this.#tail = first.then(
      () => settle(true),
      () => settle(false),
    );
  }

  chainFetch(fetch: () => Promise<void>): void {
    this.#fetchChain = (this.#fetchChain ?? Promise.resolve()).then(fetch);
  }

  /** Called by the gateway once the socket has closed (any reason). Idempotent. */
  closed(): void {
    if (this.#state === 'closed') return;
    const wasAuthenticated = this.#state === 'authenticated';
    this.#state = 'closed';
    this.#backlog = null;
    this.throttle.stop();
    if (wasAuthenticated && !this.#releaseHeld) this.services.membership.release(this, this.#app!, this.#userId!);
  }
}
