/**
 * Liveness: a browser cannot send WebSocket pings, so with a session the client checks the
 * server itself. After half of `livenessMs` without a frame it pings (ACK with `ping`; the server
 * answers PONG); with no frame for another half it gives the socket up.
 */
export class Liveness {
  #timer: ReturnType<typeof setInterval> | undefined;
  #heardAt = 0;
  #pingAt = 0;

  constructor(
    readonly livenessMs: number,
    readonly ping: () => void,
    readonly dead: () => void,
  ) {}

  /** A frame arrived. */
  heard(): void {
    this.#heardAt = Date.now();
    this.#pingAt = 0;
  }

  start(): void {
    this.heard();
    this.#timer ??= setInterval(() => this.#check(), Math.max(50, this.livenessMs / 4));
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#pingAt = 0;
  }

  #check(): void {
    const now = Date.now();
    const half = this.livenessMs / 2;
    if (this.#pingAt > 0) {
      if (now - this.#pingAt > half) this.dead();
    } else if (now - this.#heardAt > half) {
      this.#pingAt = now;
      this.ping();
    }
  }
}
