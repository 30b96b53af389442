/**
 * A browser WebSocket that reports every frame it sends and receives, given to the SDK as its
 * WebSocket constructor: the console logs the SDK's own traffic and sends the frames the SDK does
 * not have yet (SUBSCRIBE, COMMAND, …) through the same connection.
 */
import type { WebSocketConstructor, WebSocketLike } from '../client/index.js';

export type FrameTap = (direction: 'in' | 'out', text: string) => void;

export interface TappedSockets {
  /** The constructor to give to createClient. */
  readonly WebSocket: WebSocketConstructor;
  /** The socket the SDK opened last, if any. */
  current(): WebSocketLike | undefined;
}

export function tappedSockets(tap: FrameTap): TappedSockets {
  let current: WebSocketLike | undefined;
  const remember = (socket: WebSocketLike): void => {
    current = socket;
  };

  class TappedSocket implements WebSocketLike {
    readonly #ws: WebSocket;
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;

    constructor(url: string) {
      this.#ws = new WebSocket(url);
      remember(this);
      this.#ws.onopen = (event) => this.onopen?.(event);
      this.#ws.onmessage = (event: MessageEvent) => {
        if (typeof event.data === 'string') tap('in', event.data);
        this.onmessage?.(event);
      };
      this.#ws.onclose = (event) => this.onclose?.(event);
      this.#ws.onerror = (event) => this.onerror?.(event);
    }

    get readyState(): number {
      return this.#ws.readyState;
    }

    send(data: string): void {
      tap('out', data);
      this.#ws.send(data);
    }

    close(code?: number, reason?: string): void {
      this.#ws.close(code, reason);
    }
  }

  return { WebSocket: TappedSocket, current: () => current };
}
