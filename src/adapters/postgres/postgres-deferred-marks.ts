// DELIVERED marks that could not be written because the server was unreachable, kept to be written
// once it answers again (so a message delivered live just before an outage is not served again by
// the next fetch). Bounded: past `max` ids the oldest recipients' marks are dropped (those messages
// may then be fetched once more: at-least-once, never lost).
import type { MessageId, UserId } from '../../core/ids.js';

export class DeferredMarks {
  readonly #max: number;
  readonly #byRecipient = new Map<UserId, Set<MessageId>>();
  #size = 0;
  #dropped = 0;
  #draining: Promise<boolean> | undefined;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#size;
  }

  /** Ids dropped so far because the bound was reached. */
  get dropped(): number {
    return this.#dropped;
  }

  add(recipient: UserId, ids: readonly MessageId[]): void {
    let set = this.#byRecipient.get(recipient);
    if (set === undefined) this.#byRecipient.set(recipient, (set = new Set()));
    for (const id of ids) {
      if (set.has(id)) continue;
      set.add(id);
      this.#size++;
    }
    while (this.#size > this.#max) {
      const [oldest, oldestIds] = this.#byRecipient.entries().next().value as [UserId, Set<MessageId>];
      this.#byRecipient.delete(oldest);
      this.#size -= oldestIds.size;
      this.#dropped += oldestIds.size;
    }
  }

  /** Removes and returns everything kept, per recipient, oldest first. */
  take(): [UserId, MessageId[]][] {
    const out = [...this.#byRecipient].map(([to, ids]): [UserId, MessageId[]] => [to, [...ids]]);
    this.#byRecipient.clear();
    this.#size = 0;
    return out;
  }

  /**
   * Writes everything kept, one `write` per recipient (one drain at a time). On a failure that
   * `retryable` accepts, keeps what is left and resolves false; other failures drop that recipient's marks.
   */
  drain(write: (to: UserId, ids: MessageId[]) => Promise<unknown>, retryable: (error: unknown) => boolean): Promise<boolean> {
    this.#draining ??= (async () => {
      try {
        const work = this.take();
        for (const [i, [to, ids]] of work.entries()) {
          try {
            await write(to, ids);
          } catch (error) {
            if (!retryable(error)) continue;
            for (const [rest, restIds] of work.slice(i)) this.add(rest, restIds);
            return false;
          }
        }
        return true;
      } finally {
        this.#draining = undefined;
      }
    })();
    return this.#draining;
  }
}
