/**
 * Transport: what core needs from one client connection. The gateway adapts a `ws` socket to it;
 * tests can fake it. No socket types leak into core.
 */
import type { Disconnect } from '../protocol/close-codes.js';
import type { ConnectionId } from './ids.js';

export interface Transport {
  readonly id: ConnectionId;
  /**
   * Writes one text frame, given as text or as its UTF-8 bytes. Returns false when the frame was not written (connection closing or
   * closed, or the send buffer bound was just exceeded and the connection is being closed).
   * `proofFollows`: a proveDelivery() for this frame follows in the same turn, so the transport
   * may hold the frame back to leave in one write with the proving ping.
   */
  send(frame: string | Uint8Array, proofFollows?: boolean): boolean;
  /**
   * Resolves true once the peer has proven it received everything written before this call (it
   * answered a ping sent after those frames: TCP and WebSocket keep order, and a peer's
   * WebSocket stack answers a ping only after parsing the frames before it). Resolves false if
   * the connection closed first. Calls in the same event-loop turn share one ping, which leaves in
   * the same write as the frames held for it. Never rejects.
   */
  proveDelivery(): Promise<boolean>;
  /**
   * Stops reading the peer's frames (those already read are still delivered), so that TCP's window
   * slows the sender; `resume` reads again. Optional: a transport without them cannot be slowed,
   * and a connection over its rate is then refused frames (RATE_LIMITED) instead.
   */
  pause?(): void;
  resume?(): void;
  /** The peer is more than half its send-buffer bound behind: its senders are held until it is not. Optional. */
  backlogged?(): boolean;
  /** Closes with a code and reason. Idempotent. */
  close(disconnect: Disconnect): void;
}
