/**
 * A connection's authentication: its place in the state machine and who it is once authenticated
 * (AuthRecord, read by connection.ts), and AUTH_CLIENT handled (authenticate): the app and user
 * checked, the credentials verified through the auth port (at most AUTH_MAX_RUNNING at once),
 * the connection admitted by membership, and AUTH_CLIENT_REPLY written. No I/O.
 */
import { Disconnect } from '../protocol/close-codes.js';
import { encodeAuthReply, type AuthClientFrame } from '../protocol/frames.js';
import { authGateOf } from './auth-gate.js';
import type { ClientApp } from './client-apps.js';
import type { UserId } from './ids.js';
import type { VerifiedConnection } from './peer.js';
import type { Logger } from './ports.js';
import type { Services } from './services.js';

export type AuthState = 'unauthenticated' | 'authenticating' | 'authenticated' | 'closed';

/** Where a connection is in the auth state machine, and who it is once authenticated. */
export class AuthRecord {
  state: AuthState = 'unauthenticated';
  errorsBeforeAuth = 0;
  app: ClientApp | undefined;
  userId: UserId | undefined;
  /** The AUTH_CLIENT frame's data (resume reads its fields). */
  data: AuthClientFrame['data'] | undefined;
  /** When the credentials stop being valid (a JWT's exp), ms since the epoch; undefined: never. */
  expiresAt: number | undefined;
  claims: Readonly<Record<string, unknown>> | undefined;
  /** The token of AUTH_CLIENT, kept for upstream calls on the user's behalf (never logged). */
  token: string | undefined;
  /** Fields plugins added to AUTH_CLIENT_REPLY. */
  replyFields: Record<string, unknown> | undefined;
  /** Child logger with the connection's ids, made on first use (most connections never log); forgotten when the ids change. */
  log: Logger | undefined;
}

/** The connection being authenticated, as authenticate sees it. */
export interface Authenticating extends VerifiedConnection {
  readonly services: Services;
  readonly log: Logger;
}

/**
 * AUTH_CLIENT on `conn`, whose record is `auth`: refused at once (an unknown app or user, the
 * verification queue full; undefined), or verified, admitted and answered by the returned
 * promise, which never rejects.
 */
export function authenticate(conn: Authenticating, auth: AuthRecord, frame: AuthClientFrame): Promise<void> | undefined {
  const { appId, userId, token } = frame.data;
  const services = conn.services;
  const app = services.apps.byId(appId);
  const reject = (why: string): void => {
    conn.log.info({ appId, userId, why }, 'authentication refused');
    conn.send(encodeAuthReply(appId, userId, false), 'AUTH_CLIENT_REPLY');
    if (++auth.errorsBeforeAuth >= services.limits.maxErrorsBeforeAuth) conn.transport.close(Disconnect.TooManyErrorsBeforeAuth);
  };
  if (app === undefined) {
    reject('unknown appId');
    return undefined;
  }
  if (!services.apps.isUserOf(app, userId)) {
    reject('userId is not <appName>-<digits>');
    return undefined;
  }

  auth.state = 'authenticating';
  // At most limits.maxAuthConcurrency verifications at once per node; a full queue is told to retry later.
  const verifying = authGateOf(services).run(() => services.auth.verify(app, { appId, userId, token }));
  if (verifying === undefined) {
    auth.state = 'unauthenticated';
    reject('busy: too many authentications waiting; retry later');
    return undefined;
  }
  return verifying
    .then(async (verdict) => {
      if (auth.state !== 'authenticating') return; // closed meanwhile
      if (!verdict.ok) {
        auth.state = 'unauthenticated';
        reject(verdict.reason ?? 'credentials refused');
        return;
      }
      auth.data = frame.data;
      auth.app = app;
      auth.userId = userId as UserId;
      for (const plugin of services.plugins) plugin.connectionVerified?.(conn);
      const admitted = await services.membership.admit(conn, app, userId as UserId);
      if (admitted) for (const plugin of services.plugins) if (plugin.connectionAdmitted !== undefined) await plugin.connectionAdmitted(conn);
      if (!admitted) {
        auth.state = 'unauthenticated';
        auth.app = undefined;
        auth.userId = undefined;
        conn.useTransport(conn.wire); // a resume session taken for it stays out of it
        conn.send(encodeAuthReply(appId, userId, false), 'AUTH_CLIENT_REPLY');
        conn.transport.close(Disconnect.TooManyConnections);
        return;
      }
      if (auth.state !== 'authenticating') {
        // Closed while being admitted: undo the registration.
        services.membership.release(conn, app, userId as UserId);
        return;
      }
      auth.expiresAt = verdict.expiresAt;
      auth.claims = verdict.claims;
      auth.token = token;
      auth.log = undefined; // the next use carries appId and userId
      auth.state = 'authenticated';
      // Straight to the socket: a resume session numbers only the frames after this reply.
      if (conn.wire.send(encodeAuthReply(appId, userId, true, auth.replyFields))) services.metrics.frameOut('AUTH_CLIENT_REPLY', '');
      for (const plugin of services.plugins) plugin.connectionAuthenticated?.(conn);
      if (services.logger.isLevelEnabled('debug')) conn.log.debug({}, 'authenticated');
    })
    .catch((err: unknown) => {
      conn.log.error({ err }, 'authentication failed');
      if (auth.state === 'authenticating') {
        auth.state = 'unauthenticated';
        auth.app = undefined;
        auth.userId = undefined;
        reject('internal error');
      }
    });
}
