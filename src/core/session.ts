/**
 * Session: one client connection's protocol state (unauthenticated → authenticating →
 * authenticated → closed) and its frame handling. Routing and delivery are the Hub's; this file
 * decides what a frame means for this connection and answers client mistakes with ERROR frames.
 */
import { Disconnect } from '../protocol/close-codes.js';
import { decodeFrame } from '../protocol/decode-frame.js';
import { decodeMessageUtf8 } from '../protocol/decode-message-utf8.js';
import { encodeMessageHead } from '../protocol/encode-message-utf8.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { encodeAuthReply, encodeError, type AuthClientFrame, type ClientFrame, type FetchMissingFrame, type GroupMessageFrame, type MessageFrame } from '../protocol/frames.js';
import type { ClientApp } from './client-apps.js';
import type { UserId } from './ids.js';
import type { Hub } from './hub.js';
import type { Logger } from './ports.js';
import { RateLimiter } from './rate-limiter.js';
import type { Transport } from './transport.js';

/** Keeps a leading BOM (`ignoreBOM`), as the text decoder must see it to refuse the frame. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

type State = 'unauthenticated' | 'authenticating' | 'authenticated' | 'closed';

export class Session {
  #state: State = 'unauthenticated';
  #errorsBeforeAuth = 0;
  /** Frames that arrived while the auth webhook was being asked; replayed in order afterwards. */
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
  /** Child logger with this connection's ids, made on first use (most connections never log). */
  #log: Logger | undefined;
  /** Undefined when frames are not limited (rate 0): no bucket, and no clock read per frame. */
  readonly #limiter: RateLimiter | undefined;
  readonly openedAt: number;

  constructor(
    readonly transport: Transport,
    readonly hub: Hub,
  ) {
    this.openedAt = hub.clock();
    this.#limiter = hub.limits.rateLimitPerSec > 0 ? new RateLimiter(hub.limits.rateLimitPerSec, this.openedAt) : undefined;
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
  /** The start of every MESSAGE frame this connection's user sends, as bytes (made on first use, after auth). */
  get messageHead(): Uint8Array {
    return (this.#messageHead ??= encodeMessageHead(this.#userId!));
  }
  get log(): Logger {
    this.#log ??= this.hub.logger.child(this.#userId === undefined ? { connectionId: this.transport.id } : { connectionId: this.transport.id, appId: this.#app?.appId, userId: this.#userId });
    return this.#log;
  }

  /** Writes a frame and counts it. `proofFollows`: see {@link Transport.send}. */
  send(frame: string | Uint8Array, type: string, feature = '', proofFollows = false): boolean {
    const ok = this.transport.send(frame, proofFollows);
    if (ok) this.hub.metrics.frameOut(type, feature);
    return ok;
  }

  sendError(code: ErrorCode, message: string, reference?: string): void {
    this.hub.metrics.protocolError(code);
    this.send(encodeError(code, message, reference), 'ERROR');
  }

  /** A binary frame: the protocol is JSON text only. */
  handleBinary(): void {
    this.hub.metrics.frameIn('binary');
    this.#refuse(ErrorCode.BadRequest, 'binary frames are not supported; send JSON text frames');
  }

  /**
   * One inbound text frame as UTF-8 bytes (as the socket gave it). A plain MESSAGE from an
   * authenticated connection is read from the bytes themselves (no string of the frame, no value
   * of its content); anything else is decoded as text. Never throws for client input.
   */
  handleUtf8(bytes: Uint8Array): void {
    if (this.#state === 'authenticated') {
      const frame = decodeMessageUtf8(bytes, this.hub.limits.decode);
      if (frame !== undefined) {
        this.hub.metrics.frameIn('MESSAGE');
        this.#accept(frame);
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
      if (this.#backlog.length >= this.hub.limits.maxBacklogFrames) {
        this.transport.close(Disconnect.BacklogFull);
        return;
      }
      this.#backlog.push(text);
      return;
    }
    const decoded = decodeFrame(text, this.hub.limits.decode, utf8);
    if (!decoded.ok) {
      this.hub.metrics.frameIn('invalid');
      this.#refuse(decoded.error.code, decoded.error.message, decoded.error.reference);
      return;
    }
    const frame = decoded.frame;
    this.hub.metrics.frameIn(frame.type);
    if (this.#state === 'unauthenticated') {
      if (frame.type === 'AUTH_CLIENT') this.#authenticate(frame);
      else this.#refuse(ErrorCode.Unauthenticated, 'send AUTH_CLIENT first', frame.reference);
      return;
    }
    this.#accept(frame);
  }

  /** A decoded frame of an authenticated connection: rate limit, then act on it. */
  #accept(frame: ClientFrame): void {
    if (this.#limiter !== undefined && !this.#limiter.take(this.hub.clock())) {
      this.sendError(ErrorCode.RateLimited, `more than ${this.hub.limits.rateLimitPerSec} frames/s; frame not processed`, frame.reference);
      return;
    }
    this.#dispatch(frame);
  }

  #dispatch(frame: ClientFrame): void {
    switch (frame.type) {
      case 'AUTH_CLIENT':
        this.sendError(ErrorCode.BadRequest, 'already authenticated; the identity of a connection never changes', frame.reference);
        return;
      case 'MESSAGE':
        this.#message(frame);
        return;
      case 'GROUP_MESSAGE':
        this.#groupMessage(frame);
        return;
      case 'FETCH_MISSING_MESSAGES_REQUEST':
        this.#fetch(frame);
        return;
      default: {
        const never: never = frame;
        return never;
      }
    }
  }

  /** A client mistake: an ERROR frame; before auth, too many of them close the socket. */
  #refuse(code: ErrorCode, message: string, reference?: string): void {
    this.sendError(code, message, reference);
    if (this.#state === 'unauthenticated' && ++this.#errorsBeforeAuth >= this.hub.limits.maxErrorsBeforeAuth) {
      this.transport.close(Disconnect.TooManyErrorsBeforeAuth);
    }
  }

  #authenticate(frame: AuthClientFrame): void {
    const { appId, userId, token } = frame.data;
    const app = this.hub.apps.byId(appId);
    const reject = (why: string): void => {
      this.log.info({ appId, userId, why }, 'authentication refused');
      this.send(encodeAuthReply(appId, userId, false), 'AUTH_CLIENT_REPLY');
      if (++this.#errorsBeforeAuth >= this.hub.limits.maxErrorsBeforeAuth) this.transport.close(Disconnect.TooManyErrorsBeforeAuth);
    };
    if (app === undefined) return reject('unknown appId');
    if (!this.hub.apps.isUserOf(app, userId)) return reject('userId is not <appName>-<digits>');

    this.#state = 'authenticating';
    const verdict = app.authEnabled && app.authUrl !== undefined ? this.hub.auth.verify(app.authUrl, { appId, userId, token }) : Promise.resolve(true);
    verdict
      .then(async (ok) => {
        if (this.#state !== 'authenticating') return; // closed meanwhile
        if (!ok) {
          this.#state = 'unauthenticated';
          reject('auth webhook said no or could not be reached');
          return;
        }
        const admitted = await this.hub.admit(this, app, userId as UserId);
        if (!admitted) {
          this.#state = 'unauthenticated';
          this.send(encodeAuthReply(appId, userId, false), 'AUTH_CLIENT_REPLY');
          this.transport.close(Disconnect.TooManyConnections);
          return;
        }
        if (this.#state !== 'authenticating') {
          // Closed while being admitted: undo the registration.
          this.hub.release(this, app, userId as UserId);
          return;
        }
        this.#app = app;
        this.#userId = userId as UserId;
        this.#log = undefined; // the next use carries appId and userId
        this.#state = 'authenticated';
        this.send(encodeAuthReply(appId, userId, true), 'AUTH_CLIENT_REPLY');
        if (this.hub.logger.isLevelEnabled('debug')) this.log.debug({}, 'authenticated');
      })
      .catch((err: unknown) => {
        this.log.error({ err }, 'authentication failed');
        if (this.#state === 'authenticating') {
          this.#state = 'unauthenticated';
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

  /** Recipient check shared by MESSAGE and GROUP_MESSAGE; answers the client when not ok. */
  #recipientsOk(to: string | readonly string[], reference: string | undefined): boolean {
    if (typeof to === 'string') return this.#recipientOk(to, reference);
    for (const r of to) if (!this.#recipientOk(r, reference)) return false;
    return true;
  }

  #recipientOk(to: string, reference: string | undefined): boolean {
    const check = this.hub.apps.checkRecipient(this.#app!, to);
    if (check === 'ok') return true;
    if (check === 'forbidden') this.sendError(ErrorCode.Forbidden, `${JSON.stringify(to.slice(0, 64))} is not a user of this app`, reference);
    else this.sendError(ErrorCode.BadRequest, `${JSON.stringify(to.slice(0, 64))} is not a userId (<appName>-<digits>)`, reference);
    return false;
  }

  #message(frame: MessageFrame): void {
    if (!this.#recipientsOk(frame.data.to, frame.reference)) return;
    if (frame.feature === 'FAST' && this.#tail === null) {
      this.hub.sendFast(this, frame.data.to as UserId, frame, undefined);
      return;
    }
    const work = this.hub.routeMessage(this, frame.data.to as UserId, frame);
    this.#ordered(work);
  }

  #groupMessage(frame: GroupMessageFrame): void {
    if (!this.#recipientsOk(frame.data.to, frame.reference)) return;
    const work = this.hub.routeGroup(this, frame.data.to as readonly UserId[], frame);
    this.#ordered(work);
  }

  /**
   * Runs `work.after` once everything queued before it on this connection has run. `work.ready`
   * is what must settle first (a store commit); FAST work has none and runs at once when the
   * tail is empty.
   */
  #ordered(work: { readonly ready: Promise<unknown> | undefined; readonly after: (ok: boolean) => void }): void {
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

  #fetch(frame: FetchMissingFrame): void {
    const count = Math.min(frame.data.count ?? this.hub.limits.defaultFetchCount, this.hub.limits.maxFetchCount);
    // One fetch at a time per connection, so two pages never carry the same entry.
    const fetch = (): Promise<void> => this.hub.fetchMissing(this, count, frame.reference);
    this.#fetchChain = (this.#fetchChain ?? Promise.resolve()).then(fetch);
  }

  /** Called by the gateway once the socket has closed (any reason). Idempotent. */
  closed(): void {
    if (this.#state === 'closed') return;
    const wasAuthenticated = this.#state === 'authenticated';
    this.#state = 'closed';
    this.#backlog = null;
    if (wasAuthenticated) this.hub.release(this, this.#app!, this.#userId!);
  }
}
