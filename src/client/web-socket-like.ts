/**
 * The W3C WebSocket shape the client needs, so that a browser's `WebSocket`, the `ws` package's
 * class in Node, or a test fake can be injected. Types only.
 */

/** The subset of a W3C WebSocket instance the client uses. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A W3C-shaped WebSocket constructor (`globalThis.WebSocket`, `ws`'s default export, a fake). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** readyState values of the W3C WebSocket. */
export const ReadyState = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const;
