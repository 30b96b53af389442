/** The client's socket: opened with its events routed while it is the current one, and dropped without a close code. */
import { parseRetryAfter, type ServerAdvice } from './reconnect-policy.js';
import { ReadyState, type UpgradeRefusalEvents, type WebSocketConstructor, type WebSocketLike } from './web-socket-like.js';

export interface SocketEvents {
  open(socket: WebSocketLike): void;
  text(text: string): void;
  /** `advice`: the close code, and a refused upgrade's status and Retry-After where they can be seen. */
  close(code: number, reason: string, advice: ServerAdvice): void;
}

/** A new socket; its events reach `on` only while `current(socket)` (a replaced socket is ignored). Throws when the constructor does. */
export function openSocket(WebSocket: WebSocketConstructor, url: string, on: SocketEvents, current: (socket: WebSocketLike) => boolean): WebSocketLike {
  const socket = new WebSocket(url);
  socket.onopen = () => on.open(socket);
  socket.onmessage = (event) => {
    if (current(socket) && typeof event.data === 'string') on.text(event.data);
  };
  // The close event follows an error event; handling happens there.
  socket.onerror = () => undefined;
  let refusal: ServerAdvice = {};
  socket.onclose = (event) => {
    if (current(socket)) on.close(event.code, event.reason, { code: event.code, ...refusal });
  };
  // Node's `ws`: read the refusal, then fail the attempt as it would (close 1006).
  const events = socket as WebSocketLike & Partial<UpgradeRefusalEvents>;
  if (typeof events.on === 'function')
    events.on('unexpected-response', (_request, response) => {
      refusal = { status: response.statusCode, retryAfterMs: parseRetryAfter(response.headers?.['retry-after']) };
      dropSocket(socket);
    });
  return socket;
}

/** Closes with no code: the server sees 1005 and keeps the session for the resume. */
export function dropSocket(socket: WebSocketLike): void {
  try {
    socket.close();
  } catch {
    // already closing
  }
}

/** Closes for good (1000) unless already closing or closed. */
export function closeSocket(socket: WebSocketLike | undefined, reason: string): void {
  if (socket !== undefined && socket.readyState !== ReadyState.Closed && socket.readyState !== ReadyState.Closing) socket.close(1000, reason.slice(0, 100));
}
