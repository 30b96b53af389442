/**
 * A new client's HTTP upgrade, held until the first upstream dial settles: the proxy finishes it
 * then (opened or failed), refuses it when the session ends first, and hears of the client
 * hanging up meanwhile.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PendingUpgrade } from './proxy-context-ports.js';
import { rejectUpgrade } from './reject-upgrade.js';

export class HeldUpgrade {
  #pending: PendingUpgrade | undefined;

  /** The upgrade held now, if any. */
  get current(): PendingUpgrade | undefined {
    return this.#pending;
  }

  /** Holds the upgrade; `hungUp` runs if the client's socket closes while it is still held. */
  hold(req: IncomingMessage, socket: Duplex, head: Buffer, hungUp: () => void): void {
    const onClose = (): void => {
      if (this.#pending?.socket === socket) {
        this.#pending = undefined;
        hungUp();
      }
    };
    this.#pending = { req, socket, head, onClose };
    socket.once('close', onClose);
  }

  /** The client's socket was attached: the upgrade is no longer held. */
  release(): void {
    const pending = this.#pending;
    if (pending !== undefined) {
      pending.socket.off('close', pending.onClose);
      this.#pending = undefined;
    }
  }

  /** Refuses the held upgrade with an HTTP status; false when none is held. */
  refuse(status: number, reason: string): boolean {
    const pending = this.#pending;
    if (pending === undefined) return false;
    this.#pending = undefined;
    pending.socket.off('close', pending.onClose);
    rejectUpgrade(pending.socket, status, reason);
    return true;
  }
}
