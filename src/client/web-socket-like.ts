/**
 * The W3C WebSocket shape the client needs, so that a browser's `WebSocket`, the `ws` package's
 * class in Node, or a test fake can be injected. Types only.
 */

/**
 * An event handler property. Declared through a method so that its parameter is checked
 * bivariantly: a real WebSocket's handler takes a richer event (MessageEvent, CloseEvent) than
 * the fields this client reads, and must still be assignable.
 */
export type EventHandler<E> = { bivariant(event: E): void }['bivariant'];

/** The subset of a W3C WebSocket instance the client uses. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: EventHandler<unknown> | null;
  onmessage: EventHandler<{ readonly data: unknown }> | null;
  onclose: EventHandler<{ readonly code: number; readonly reason: string }> | null;
  onerror: EventHandler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * Node's `ws` also reports the HTTP answer to a refused upgrade (status, Retry-After); a browser's
 * WebSocket never does (it sees a failed connection, close 1006). Detected at run time.
 */
export interface UpgradeRefusalEvents {
  on(event: 'unexpected-response', listener: (request: unknown, response: { readonly statusCode?: number; readonly headers?: Readonly<Record<string, string | string[] | undefined>> }) => void): unknown;
}

/** A W3C-shaped WebSocket constructor (`globalThis.WebSocket`, `ws`'s default export, a fake). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** readyState values of the W3C WebSocket. */
export const ReadyState = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const;
