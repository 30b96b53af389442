/** The client's socket: opened with its events routed while it is the current one, and dropped without a close code. */
import { ReadyState, type WebSocketConstructor, type WebSocketLike } from './web-socket-like.js';

export interface SocketEvents {
  open(socket: WebSocketLike): void;
  text(text: string): void;
  close(code: number, reason: string): void;
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
  socket.onclose = (event) => {
    if (current(socket)) on.close(event.code, event.reason);
  };
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
