/**
 * AcceptGate: exactly-once accept for connections with a session (docs/protocol.md, "Exactly-once
 * accept"). Every MESSAGE with a reference is first taken in the shared AcceptLog: new → handled
 * (routed); taken before → answered with the first MESSAGE_ACCEPTED; still pending elsewhere after
 * the log's wait → ERROR UNAVAILABLE (the SDK re-sends it later). A connection's MESSAGEs wait in
 * order behind its takes, so that per-sender order holds; takes of one batch run together (one
 * round trip). The MESSAGE_ACCEPTED (or ERROR) written to the sender settles (or forgets) its pair.
 * Bounded: at most MAX_QUEUED frames wait per connection; past it a MESSAGE is refused with
 * RATE_LIMITED (the SDK re-sends it).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ParsedFrame } from '../frames/frame-module.js';
import type { NodeId, UserId } from '../ids.js';
import type { Peer } from '../peer.js';
import type { AcceptLog, Logger } from '../ports.js';

const MAX_QUEUED = 1_000;
const MAX_TAKEN = 100_000;
/** Takes asked for at once. */
const BATCH = 64;
const ACCEPTED_PREFIX = '{"type":"MESSAGE_ACCEPTED"';
const ERROR_PREFIX = '{"type":"ERROR"';

interface Held {
  readonly frame: ParsedFrame & { readonly reference: string };
  readonly handle: (frame: never) => void;
}

export class AcceptGate {
  /** Frames waiting per connection; present while its takes run. */
  readonly #queues = new WeakMap<Peer, Held[]>();

  #ids = 0;
  /**
   * Pairs this node took and routed, until their MESSAGE_ACCEPTED or ERROR: only those are settled
   * or forgotten (an ERROR this gate wrote itself, for a pair pending elsewhere, must not forget
   * it). Bounded by MAX_TAKEN; past it the oldest are dropped (their pairs expire as pending).
   */
  readonly #taken = new Set<string>();

  constructor(
    readonly log: AcceptLog,
    readonly logger: Logger,
    readonly nodeId: NodeId,
  ) {}

  /** A MESSAGE with a reference from a connection with a session: held (false); it is handled, answered or refused later. */
  hold(peer: Peer, frame: ParsedFrame & { readonly reference: string }, handle: (frame: never) => void): false {
    const queue = this.#queues.get(peer);
    if (queue === undefined) {
      const fresh = [{ frame, handle }];
      this.#queues.set(peer, fresh);
      void this.#drain(peer, fresh);
    } else if (queue.length >= MAX_QUEUED) {
      peer.sendError(ErrorCode.RateLimited, `more than ${MAX_QUEUED} sends waiting to be accepted; send it again later`, frame.reference);
    } else {
      queue.push({ frame, handle });
    }
    return false;
  }

  /** A frame written to `userId`'s session: a MESSAGE_ACCEPTED settles its pair, an ERROR for a reference forgets it (a refusal is not remembered). */
  observe(userId: UserId, frame: string | Uint8Array): void {
    if (typeof frame !== 'string') return;
    const accepted = frame.startsWith(ACCEPTED_PREFIX);
    if (!accepted && !frame.startsWith(ERROR_PREFIX)) return;
    let reference: unknown;
    try {
      reference = (JSON.parse(frame) as { data?: { reference?: unknown } }).data?.reference;
    } catch {
      return;
    }
    if (typeof reference !== 'string' || !this.#taken.delete(`${userId}\n${reference}`)) return;
    const done = accepted ? this.log.settle(userId, reference, frame) : this.log.forget(userId, reference);
    done.catch((err: unknown) => this.logger.warn({ err, userId }, 'accept log: could not record a send (a repeat of it may be routed again)'));
  }

  async #drain(peer: Peer, queue: Held[]): Promise<void> {
    const userId = peer.userId!;
    while (queue.length > 0) {
      // One batch: up to BATCH frames, cut before a reference repeated in it (its take would wait for the first one's settle).
      const refs = new Set<string>();
      let n = 0;
      while (n < queue.length && n < BATCH && !refs.has(queue[n]!.frame.reference)) refs.add(queue[n++]!.frame.reference);
      const batch = queue.slice(0, n);
      const takes = await Promise.all(batch.map((h) => this.log.take(userId, h.frame.reference, this.#newId()).catch(() => undefined)));
      queue.splice(0, n);
      for (let i = 0; i < batch.length; i++) {
        const { frame, handle } = batch[i]!;
        const take = takes[i];
        if (peer.isClosed) {
          // Taken for a connection that closed before routing it: let the client's re-send take it.
          if (take?.kind === 'new') this.log.forget(userId, frame.reference).catch(() => undefined);
          continue;
        }
        if (take === undefined) peer.sendError(ErrorCode.Unavailable, 'the accept log is unreachable; nothing was done, send it again later', frame.reference);
        else if (take.kind === 'new') {
          this.#taken.add(`${userId}\n${frame.reference}`);
          if (this.#taken.size > MAX_TAKEN) this.#taken.delete(this.#taken.values().next().value!);
          (handle as (frame: ParsedFrame) => void)({ ...frame, id: take.id } as ParsedFrame);
        }
        else if (take.kind === 'answered') peer.send(take.frame, 'MESSAGE_ACCEPTED');
        else peer.sendError(ErrorCode.Unavailable, 'a send with this reference is still being accepted; send it again later', frame.reference);
      }
    }
    this.#queues.delete(peer);
  }

  /** A message id of this node (unique: the time, the node, a counter), given to a pair's first take. */
  #newId(): string {
    return `${Date.now().toString(36)}-${this.nodeId}-r${(this.#ids++).toString(36)}`;
  }
}
