/**
 * Fetches: FETCH_MISSING_MESSAGES_REQUESTs in flight, oldest first (the server answers them in
 * order). A fetch the app asked for collects the messages that arrive before its COMPLETE; one
 * the client started itself (`auto`, after a reconnect) lets them through as `message` events.
 */
import type { FetchResult, ReceivedMessage } from './types.js';

interface PendingFetch {
  readonly auto: boolean;
  readonly messages: ReceivedMessage[];
  readonly resolve: (r: FetchResult) => void;
  readonly reject: (e: Error) => void;
}

export class Fetches {
  #queue: PendingFetch[] = [];

  add(auto: boolean, resolve: (r: FetchResult) => void, reject: (e: Error) => void): void {
    this.#queue.push({ auto, messages: [], resolve, reject });
  }

  /** True when the oldest fetch is the app's and took `message`; false: emit it. */
  collect(message: ReceivedMessage): boolean {
    const fetch = this.#queue[0];
    if (fetch === undefined || fetch.auto) return false;
    fetch.messages.push(message);
    return true;
  }

  /** FETCH_MISSING_MESSAGES_COMPLETE: settles the oldest fetch. */
  complete(leftMissingCount: number): void {
    const fetch = this.#queue.shift();
    fetch?.resolve({ messages: fetch.messages, leftMissingCount });
  }

  /** The connection closed: every fetch in flight fails. */
  failAll(error: Error): void {
    for (const fetch of this.#queue.splice(0)) fetch.reject(error);
  }
}
