/**
 * A connection's authentication: its place in the state machine and who it is once authenticated
 * (ConnectionIdentity, the base of connection.ts's Connection), and AUTH_CLIENT handled: the app
 * and user checked, the credentials verified through the auth port (at most AUTH_MAX_RUNNING at
 * once), the connection admitted by membership, and AUTH_CLIENT_REPLY written. No I/O.
 */
import { Disconnect } from '../protocol/close-codes.js';
import { encodeAuthReply, type AuthClientFrame } from '../protocol/frames.js';
import { authGateOf } from './auth-gate.js';
import type { ClientApp } from './client-apps.js';
import type { UserId } from './ids.js';
import type { VerifiedConnection } from './peer.js';
import type { Logger } from './ports.js';
import type { Services } from './services.js';
import type { Transport } from './transport.js';

export type AuthState = 'unauthenticated' | 'authenticating' | 'authenticated' | 'closed';

const STATES: readonly AuthState[] = ['unauthenticated', 'authenticating', 'authenticated', 'closed'];
const STATE_MASK = 0b11;
/** Membership release is held past the socket's close (see holdRelease). */
const RELEASE_HELD = 0b100;
/** Client mistakes before authentication are counted from this bit on. */
const ERROR_UNIT = 0b1000;

/** What an AUTH_CLIENT being verified needs until its reply is written; dropped afterwards. */
interface Pending {
  /** The AUTH_CLIENT frame's data (resume reads its fields). */
  readonly data: AuthClientFrame['data'];
  /** Fields plugins added to AUTH_CLIENT_REPLY. */
  replyFields: Record<string, unknown> | undefined;
}

/**
 * Where a connection is in the auth state machine, and who it is once authenticated. The fields
 * live on the connection object itself, and the state, the release hold and the count of mistakes
 * before auth share one small integer: an idle authenticated connection keeps its app, user,
 * token and credential expiry and claims, nothing else of its authentication.
 */
export abstract class ConnectionIdentity {
  #bits = 0;
  #app: ClientApp | undefined;
  #userId: UserId | undefined;
  /** The token of AUTH_CLIENT, kept for upstream calls on the user's behalf (never logged). */
  #token: string | undefined;
  /** When the credentials stop being valid (a JWT's exp), ms since the epoch; undefined: never. */
  #expiresAt: number | undefined;
  #claims: Readonly<Record<string, unknown>> | undefined;
  #pending: Pending | undefined;

  abstract readonly services: Services;
  abstract readonly wire: Transport;
  abstract readonly transport: Transport;
  abstract readonly log: Logger;
  abstract send(frame: string | Uint8Array, type: string): boolean;
  abstract useTransport(transport: Transport): void;
  /** The ids in the connection's log lines change (forget a child logger made with the old ones). */
  protected abstract idsChanged(): void;

  get userId(): UserId | undefined {
    return this.#userId;
  }
  get app(): ClientApp | undefined {
    return this.#app;
  }
  /** The token this connection authenticated with; never logged. */
  get token(): string | undefined {
    return this.#token;
  }
  /** When this connection's credentials stop being valid (ms since the epoch), if ever. */
  get expiresAt(): number | undefined {
    return this.#expiresAt;
  }
  /** Replaces the credentials' expiry (REFRESH_TOKEN). */
  set expiresAt(at: number | undefined) {
    this.#expiresAt = at;
  }
  get claims(): Readonly<Record<string, unknown>> | undefined {
    return this.#claims;
  }
  /** The AUTH_CLIENT frame's data while it is being verified and admitted; undefined before and after. */
  get authData(): AuthClientFrame['data'] | undefined {
    return this.#pending?.data;
  }
  addReplyFields(fields: Record<string, unknown>): void {
    if (this.#pending !== undefined) this.#pending.replyFields = { ...this.#pending.replyFields, ...fields };
  }

  protected get authState(): AuthState {
    return STATES[this.#bits & STATE_MASK]!;
  }
  protected set authState(state: AuthState) {
    this.#bits = (this.#bits & ~STATE_MASK) | STATES.indexOf(state);
  }
  protected get releaseHeld(): boolean {
    return (this.#bits & RELEASE_HELD) !== 0;
  }
  protected set releaseHeld(held: boolean) {
    this.#bits = held ? this.#bits | RELEASE_HELD : this.#bits & ~RELEASE_HELD;
  }
  /** Counts one more client mistake before authentication; returns how many there were. */
  protected countErrorBeforeAuth(): number {
    this.#bits += ERROR_UNIT;
    return Math.floor(this.#bits / ERROR_UNIT);
  }

  /**
   * AUTH_CLIENT: refused at once (an unknown app or user, the verification queue full; undefined),
   * or verified, admitted and answered by the returned promise, which never rejects.
   */
  protected authenticate(frame: AuthClientFrame): Promise<void> | undefined {
    const { appId, userId, token } = frame.data;
    const services = this.services;
    const app = services.apps.byId(appId);
    const reject = (why: string): void => {
      this.log.info({ appId, userId, why }, 'authentication refused');
      this.send(encodeAuthReply(appId, userId, false), 'AUTH_CLIENT_REPLY');
      if (this.countErrorBeforeAuth() >= services.limits.maxErrorsBeforeAuth) this.transport.close(Disconnect.TooManyErrorsBeforeAuth);
    };
    if (app === undefined) {
      reject('unknown appId');
      return undefined;
    }
    if (!services.apps.isUserOf(app, userId)) {
      reject('userId is not <appName>-<digits>');
      return undefined;
    }

    this.authState = 'authenticating';
    // At most limits.maxAuthConcurrency verifications at once per node; a full queue is told to retry later.
    const verifying = authGateOf(services).run(() => services.auth.verify(app, { appId, userId, token }));
    if (verifying === undefined) {
      this.authState = 'unauthenticated';
      reject('busy: too many authentications waiting; retry later');
      return undefined;
    }
    const undo = (): void => {
      this.authState = 'unauthenticated';
      this.#app = undefined;
      this.#userId = undefined;
      this.#pending = undefined;
    };
    return verifying
      .then(async (verdict) => {
        if (this.authState !== 'authenticating') return; // closed meanwhile
        if (!verdict.ok) {
          this.authState = 'unauthenticated';
          reject(verdict.reason ?? 'credentials refused');
          return;
        }
        this.#pending = { data: frame.data, replyFields: undefined };
        this.#app = app;
        this.#userId = userId as UserId;
        const conn = this as unknown as VerifiedConnection;
        for (const plugin of services.plugins) plugin.connectionVerified?.(conn);
        const admitted = await services.membership.admit(conn, app, userId as UserId);
        if (admitted) for (const plugin of services.plugins) if (plugin.connectionAdmitted !== undefined) await plugin.connectionAdmitted(conn);
        if (!admitted) {
          undo();
          this.useTransport(this.wire); // a resume session taken for it stays out of it
          this.send(encodeAuthReply(appId, userId, false), 'AUTH_CLIENT_REPLY');
          this.transport.close(Disconnect.TooManyConnections);
          return;
        }
        if (this.authState !== 'authenticating') {
          // Closed while being admitted: undo the registration.
          this.#pending = undefined;
          services.membership.release(conn, app, userId as UserId);
          return;
        }
        this.#expiresAt = verdict.expiresAt;
        this.#claims = verdict.claims;
        this.#token = token;
        const replyFields = this.#pending.replyFields;
        this.#pending = undefined;
        this.idsChanged(); // the next log line carries appId and userId
        this.authState = 'authenticated';
        // Straight to the socket: a resume session numbers only the frames after this reply.
        if (this.wire.send(encodeAuthReply(appId, userId, true, replyFields))) services.metrics.frameOut('AUTH_CLIENT_REPLY', '');
        for (const plugin of services.plugins) plugin.connectionAuthenticated?.(conn);
        if (services.logger.isLevelEnabled('debug')) this.log.debug({}, 'authenticated');
      })
      .catch((err: unknown) => {
        this.log.error({ err }, 'authentication failed');
        if (this.authState === 'authenticating') {
          undo();
          reject('internal error');
        }
      });
  }
}
