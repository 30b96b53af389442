/**
 * WebSocket close codes the gateway and the proxy use, with the reconnect advice clients follow.
 * A close is a value `{code, reason}`; the reason stays under the 123-byte WebSocket limit.
 */
export const CloseCode = {
  /** Normal close. */
  Normal: 1000,
  /** Server shutting down (SIGTERM/SIGINT). Reconnect, preferably to another node. */
  ShuttingDown: 1001,
  /** Policy violation: too many frames before auth, auth deadline passed, Origin refused, connection cap. Reconnect only after fixing the cause. */
  PolicyViolation: 1008,
  /** A frame larger than --max-payload. Do not resend the same frame. */
  MessageTooBig: 1009,
  /** Proxy: the upstream could not be reached again within the retries. Reconnect with backoff. */
  UpstreamGone: 1011,
  /** Slow consumer (send buffer over its bound) or a proxy queue full. Reconnect with backoff, then fetch missing messages. */
  TryAgainLater: 1013,
  /** Closed on purpose by the app: its master user (CLOSE_CONNECTION) or its backend (POST /api/disconnect). Reconnect only if the app allows it. */
  ClosedByApp: 4000,
  /** The connection's token expired and was not refreshed within --token-grace-ms. Reconnect with a fresh token. */
  TokenExpired: 4001,
  /** The identity provider logged the user (or the session) out. Do not reconnect without signing in again. */
  LoggedOut: 4003,
  /** Resume: this connection's session was taken over by a newer connection of the same client. */
  SessionResumed: 4010,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** A close as a value. */
export interface Disconnect {
  readonly code: number;
  readonly reason: string;
}

export const Disconnect = {
  ShuttingDown: { code: CloseCode.ShuttingDown, reason: 'server shutting down' },
  SlowConsumer: { code: CloseCode.TryAgainLater, reason: 'slow consumer: send buffer limit exceeded' },
  TooManyErrorsBeforeAuth: { code: CloseCode.PolicyViolation, reason: 'too many frames before authentication' },
  AuthDeadline: { code: CloseCode.PolicyViolation, reason: 'not authenticated in time' },
  PongTimeout: { code: CloseCode.PolicyViolation, reason: 'no pong' },
  TooManyConnections: { code: CloseCode.PolicyViolation, reason: 'too many connections for this user' },
  BacklogFull: { code: CloseCode.TryAgainLater, reason: 'too many frames waiting for authentication' },
  ClosedByMaster: { code: CloseCode.ClosedByApp, reason: "closed by the app's master user" },
  TokenExpired: { code: CloseCode.TokenExpired, reason: 'token expired' },
  LoggedOut: { code: CloseCode.LoggedOut, reason: 'logged out' },
  DisconnectedByServer: { code: CloseCode.ClosedByApp, reason: 'disconnected by the server' },
  /** Resume: the session's unacknowledged frames passed their bound; reconnect (the resume is refused) and fetch. */
  ResumeBufferFull: { code: CloseCode.TryAgainLater, reason: 'resume buffer full: unacknowledged frames over the bound' },
  /** Resume: the session was resumed by a newer connection; this older one is closed. Do not reconnect it. */
  SessionResumed: { code: CloseCode.SessionResumed, reason: 'session resumed on another connection' },
} as const satisfies Record<string, Disconnect>;

/** Codes after which a client should reconnect (with backoff). */
export function shouldReconnect(code: number): boolean {
  return code === 1001 || code === 1006 || code === 1011 || code === 1012 || code === 1013 || code === 1005;
}
