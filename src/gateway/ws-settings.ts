/**
 * What every WsConnection of one gateway shares (connection.ts), and its times kept as small
 * integers: a field holding a difference of two clock readings would be a boxed number (16 bytes
 * more per connection), a 32-bit integer is kept in the object itself.
 */

export interface WsSettings {
  /** Past this many bytes not yet taken by the peer, the connection is closed (1013). */
  readonly maxBufferedBytes: number;
  readonly now: () => number;
  /** Ping times are kept in ms after this one. */
  readonly epoch: number;
}

export function wsSettings(maxBufferedBytes: number, now: () => number): WsSettings {
  return Object.freeze({ maxBufferedBytes, now, epoch: now() });
}

/**
 * `at` in ms after the settings' epoch as a 32-bit integer. It wraps after 24 days: only
 * differences of such values, also taken `| 0`, are used, and those stay exact up to 24 days.
 */
export function sinceEpoch(settings: WsSettings, at: number): number {
  return (at - settings.epoch) | 0;
}
