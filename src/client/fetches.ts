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

  /** The client's own fetch after a (re)connect: a page, then the next while some are left and `more()` holds. */
  autoFetch(request: () => void, more: () => boolean): void {
    request();
    const next = (r: FetchResult): void => {
      if (r.leftMissingCount > 0 && more()) this.autoFetch(request, more);
    };
    this.add(true, next, () => undefined);
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
