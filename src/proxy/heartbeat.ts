/**
 * Heartbeat: pings one WebSocket leg every interval and reports it dead when a ping has not
 * been answered within the pong timeout (a peer stopped or black-holed without a FIN).
 * Owns its two timers; stop() clears them.
 */
import type { WebSocket } from 'ws';

/**
 * Liveness of one socket. `onDead` is called at most once, `pongTimeoutMs` after the first
 * unanswered ping; detection therefore takes at most pingIntervalMs + pongTimeoutMs.
 * With pingIntervalMs 0 it does nothing.
 */
export class Heartbeat {
  #interval: NodeJS.Timeout | undefined;
  #pongTimer: NodeJS.Timeout | undefined;
  readonly #ws: WebSocket;
  readonly #pongTimeoutMs: number;
  readonly #onDead: () => void;
  readonly #onPong = (): void => {
    if (this.#pongTimer !== undefined) clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
  };

  constructor(ws: WebSocket, pingIntervalMs: number, pongTimeoutMs: number, onDead: () => void) {
    this.#ws = ws;
    this.#pongTimeoutMs = pongTimeoutMs;
    this.#onDead = onDead;
    if (pingIntervalMs <= 0) return;
    ws.on('pong', this.#onPong);
    this.#interval = setInterval(() => this.#ping(), pingIntervalMs);
  }

  /** Clears both timers; no callback after this. */
  stop(): void {
    if (this.#interval !== undefined) clearInterval(this.#interval);
    if (this.#pongTimer !== undefined) clearTimeout(this.#pongTimer);
    this.#interval = undefined;
    this.#pongTimer = undefined;
    this.#ws.off('pong', this.#onPong);
  }

  #ping(): void {
    if (this.#pongTimer === undefined) {
      this.#pongTimer = setTimeout(() => {
        this.stop();
        this.#onDead();
      }, this.#pongTimeoutMs);
    }
    // ping() on a socket that is closing is a no-op in ws; the close event handles that leg.
    this.#ws.ping();
  }
}
