/**
 * The socket side of a proxied connection's legs: dialling the upstream, sending frames on a leg,
 * closing a leg, and the operator's account of how a session ended.
 */
import { WebSocket, type ClientOptions } from 'ws';
import type { Frame } from './frame-queue.js';
import type { ProxyClose } from './proxy-close-codes.js';
import type { ContextSettings, UpstreamTarget } from './proxy-context-ports.js';
import type { ProxyLogger, ProxyMetrics } from './proxy-ports.js';
import type { SessionCommand } from './proxy-session-types.js';

// ws.send copies its options, so one object per frame type serves every send.
const SEND_BINARY = Object.freeze({ binary: true });
const SEND_TEXT = Object.freeze({ binary: false });

// How long a closed leg may take to answer our close frame before its socket is destroyed.
const CLOSE_TIMEOUT_MS = 5_000;

/** A new upstream socket offering `protocols` (it starts connecting at once). */
export function dialUpstream(target: UpstreamTarget, protocols: readonly string[], settings: ContextSettings): WebSocket {
  // closeTimeout is a ws option its type definitions do not list yet.
  const options: ClientOptions & { closeTimeout: number } = {
    headers: { ...target.headers },
    handshakeTimeout: settings.connectTimeoutMs,
    perMessageDeflate: false,
    maxPayload: settings.maxPayloadBytes,
    followRedirects: false,
    closeTimeout: CLOSE_TIMEOUT_MS,
  };
  return new WebSocket(target.url, [...protocols], options);
}

/** Closes a leg with a code and reason; a leg still connecting is aborted. */
export function closeSocket(ws: WebSocket, close: ProxyClose): void {
  if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
  else if (ws.readyState === WebSocket.OPEN) ws.close(close.code, close.reason);
}

/** Counts a session's end (and its discarded frames) and logs it: a warning when frames were discarded. */
export function reportSessionEnd(command: Extract<SessionCommand, { type: 'end' }>, metrics: ProxyMetrics, log: ProxyLogger): void {
  metrics.sessionEnded(command.reason);
  if (command.discarded.toUpstream > 0) metrics.framesDiscarded('toUpstream', command.discarded.toUpstream);
  if (command.discarded.toClient > 0) metrics.framesDiscarded('toClient', command.discarded.toClient);
  // Discarded frames are data the operator should hear about; a plain end is per-connection detail.
  if (command.discarded.toUpstream + command.discarded.toClient > 0) {
    log.warn({ reason: command.reason, discarded: command.discarded }, 'session ended with queued frames discarded');
  } else {
    log.debug({ reason: command.reason }, 'session ended');
  }
}

/** Sends one frame on an open leg. */
export function sendFrame(ws: WebSocket, data: Buffer, isBinary: boolean): void {
  ws.send(data, isBinary ? SEND_BINARY : SEND_TEXT);
}

/**
 * Sends `frames` in order on `ws` while it is open: the index of the first frame not sent
 * (`frames.length` when all were), so the caller can queue the rest again.
 */
export function sendWhileOpen(ws: WebSocket | undefined, frames: readonly Frame[]): number {
  for (let i = 0; i < frames.length; i += 1) {
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return i;
    const frame = frames[i]!;
    ws.send(frame.data, frame.isBinary ? SEND_BINARY : SEND_TEXT);
  }
  return frames.length;
}
