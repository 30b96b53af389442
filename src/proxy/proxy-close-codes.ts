/**
 * The proxy's own close codes and reasons (values, not exceptions). Kept here because proxy/
 * must not import protocol/; the numbers match the gateway's table where they overlap.
 */

/** A close as a value. The reason stays under the 123-byte WebSocket limit. */
export interface ProxyClose {
  readonly code: number;
  readonly reason: string;
}

/** Close codes the proxy sends. */
export const ProxyCloseCode = {
  /** Normal close, passed on from the client that asked for it. */
  Normal: 1000,
  /** The proxy is shutting down, or the other leg is gone for good. Reconnect. */
  GoingAway: 1001,
  /** Sent by ws itself: a frame larger than --max-payload. */
  MessageTooBig: 1009,
  /** The upstream could not be reached again within --max-retries. Reconnect with backoff. */
  UpstreamGone: 1011,
  /** A proxy queue or send buffer reached its bound. Reconnect with backoff; frames may be missing. */
  TryAgainLater: 1013,
  /** A newer client claimed the same connectionId; this (older) client socket is closed. Do not reconnect with that id. */
  Replaced: 4000,
} as const;

/** The closes the proxy sends, by cause. */
export const ProxyCloses = {
  ShuttingDown: { code: ProxyCloseCode.GoingAway, reason: 'proxy shutting down' },
  ClientGone: { code: ProxyCloseCode.GoingAway, reason: 'client gone' },
  GraceExpired: { code: ProxyCloseCode.GoingAway, reason: 'client did not return within the grace period' },
  RetriesSpent: { code: ProxyCloseCode.UpstreamGone, reason: 'upstream unreachable: reconnect retries spent' },
  ClientQueueFull: { code: ProxyCloseCode.TryAgainLater, reason: 'proxy queue full: upstream unavailable' },
  UpstreamQueueFull: { code: ProxyCloseCode.TryAgainLater, reason: 'proxy queue full: client away' },
  ClientSlow: { code: ProxyCloseCode.TryAgainLater, reason: 'proxy send buffer full: client not reading' },
  UpstreamSlow: { code: ProxyCloseCode.TryAgainLater, reason: 'proxy send buffer full: upstream not reading' },
  SessionEnded: { code: ProxyCloseCode.GoingAway, reason: 'proxy session ended' },
  Replaced: { code: ProxyCloseCode.Replaced, reason: 'replaced by a newer connection with the same connectionId' },
} as const satisfies Record<string, ProxyClose>;
