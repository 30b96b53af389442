/**
 * Outbox: sends not yet accepted by the server (MESSAGE_ACCEPTED), in send order, keyed by
 * reference. While the client reconnects they wait here and are re-sent, same reference, once it
 * is connected again; the server accepts a reference once, so a re-send is never routed twice.
 * Bounded: past `max` waiting sends, `add` refuses.
 */
import { ServerError } from './client-errors.js';

/** What `send` resolves with: the server took the message (MESSAGE_ACCEPTED). */
export interface Accepted {
  readonly reference: string;
  /** The message's id. */
  readonly id: string;
}

interface Pending {
  readonly frame: string;
  readonly resolve: (accepted: Accepted) => void;
  readonly reject: (error: Error) => void;
}

/** ERROR codes after which a send is re-sent later rather than refused. */
const RETRY_CODES = new Set(['RATE_LIMITED', 'INTERNAL', 'UNAVAILABLE']);

export class Outbox {
  readonly #pending = new Map<string, Pending>();

  constructor(readonly max: number) {}

  get size(): number {
    return this.#pending.size;
  }

  /** Keeps a send until it is accepted; false when the outbox is full. */
  add(reference: string, frame: string, resolve: Pending['resolve'], reject: Pending['reject']): boolean {
    if (this.#pending.size >= this.max) return false;
    this.#pending.set(reference, { frame, resolve, reject });
    return true;
  }

  /** Every waiting frame, oldest first (to write after a reconnect). */
  frames(): string[] {
    return Array.from(this.#pending.values(), (p) => p.frame);
  }

  /** The frame of a waiting send. */
  frameOf(reference: string): string | undefined {
    return this.#pending.get(reference)?.frame;
  }

  /** MESSAGE_ACCEPTED: resolves the send (a repeat finds nothing). */
  accepted(reference: string, id: string): void {
    const p = this.#pending.get(reference);
    if (p === undefined) return;
    this.#pending.delete(reference);
    p.resolve({ reference, id });
  }

  /** An ERROR for `reference`: true when it is worth re-sending (kept); otherwise the send is refused. */
  refused(reference: string, code: string, message: string): boolean {
    const p = this.#pending.get(reference);
    if (p === undefined) return false;
    if (RETRY_CODES.has(code)) return true;
    this.#pending.delete(reference);
    p.reject(new ServerError(code, message, reference));
    return false;
  }

  /** The client closed for good: every waiting send is refused with `error`. */
  failAll(error: Error): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(error);
  }
}
