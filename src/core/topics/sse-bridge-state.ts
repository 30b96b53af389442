/** The SSE bridge's per-topic state, its timings and lease names. Pure. */
import type { AppId, NodeId } from '../ids.js';
import type { UpstreamStream } from './topic-ports.js';

export interface BridgeTimings {
  /** Lease ttl of the stream and interest keys, ms. A dead holder is replaced within about ttl + tick. @default 5000 */
  readonly leaseTtlMs: number;
  /** How often each interested node renews its keys and tries for the stream, ms. @default 1000 */
  readonly tickMs: number;
  /** First reconnect delay after a drop, ms (doubles up to maxBackoffMs; an upstream `retry:` replaces it). @default 500 */
  readonly minBackoffMs: number;
  /** @default 30000 */
  readonly maxBackoffMs: number;
}

export const defaultBridgeTimings: BridgeTimings = { leaseTtlMs: 5_000, tickMs: 1_000, minBackoffMs: 500, maxBackoffMs: 30_000 };

/** One bridged topic on this node. */
export interface Bridge {
  readonly appId: AppId;
  readonly topic: string;
  readonly url: string;
  /** This node has a subscriber of the topic. */
  wanted: boolean;
  /** When this node's last subscriber left (while holding). */
  leftAt: number;
  /** When another node was last seen interested (while holding and not wanted here); 0: not since this node's last subscriber left. */
  othersSeenAt: number;
  interestToken: number | undefined;
  streamToken: number | undefined;
  /** When the stream lease was last granted or renewed (the start of that call). */
  renewedAt: number;
  stream: UpstreamStream | undefined;
  /** Identity of the current stream's handlers. */
  streamId: object | undefined;
  streamOpen: boolean;
  lastEventId: string | undefined;
  backoffMs: number;
  cancelTick: (() => void) | undefined;
  cancelReconnect: (() => void) | undefined;
  running: boolean;
  again: boolean;
  gone: boolean;
}

export const streamLease = (b: Bridge): string => `sse:${b.appId}:${b.topic}`;
export const interestLease = (b: Bridge, nodeId: NodeId): string => `sse-interest:${b.appId}:${b.topic}:${nodeId}`;

export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
