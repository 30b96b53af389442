/** AcceptLog: exactly-once accept of a (user, reference) across the cluster (docs/protocol.md, "Exactly-once accept"). */
import type { UserId } from '../ids.js';
import type { Backend } from './backend.js';

/** What {@link AcceptLog.take} found. */
export type AcceptTake =
  /**
   * Nobody took it within the window, or its taker left it pending past `pendingMs` (its node
   * died, or is slow): it is this caller's now. Route the message with `id`: the id given to the
   * first take of the pair, so that a send routed twice (its first taker died after storing it)
   * is one message (stores keep one entry per recipient and id; the SDK drops a repeated id).
   */
  | { readonly kind: 'new'; readonly id: string }
  /** Taken and accepted before: answer with this first MESSAGE_ACCEPTED frame instead of routing again. */
  | { readonly kind: 'answered'; readonly frame: string }
  /** Taken and still pending after waiting `waitMs`: neither route nor answer (the client retries later). */
  | { readonly kind: 'pending' };

/**
 * A (user, reference) is taken once within `windowMs`: the first `take` gets `new` and later
 * settles it with its MESSAGE_ACCEPTED (kept for the window) or forgets it (a refusal, which may be
 * sent again). A `take` that finds it pending waits up to `waitMs` for the settle; one that finds
 * it pending for longer than `pendingMs` (the taker died, or is slow) takes it over, with the id
 * the first take was given.
 * Shared: every node of a cluster must use the same log (the Redis adapter); the memory adapter
 * serves one node (or in-process nodes sharing one instance).
 * Bounded: an adapter keeps entries only for their window; the memory adapter also caps their number.
 */
export interface AcceptLog extends Backend {
  /** `id`: the message id to route with when the pair is new (the first take's id is kept for its window). */
  take(userId: UserId, reference: string, id: string): Promise<AcceptTake>;
  /** Records the first MESSAGE_ACCEPTED of a taken pair (no-op when not taken). */
  settle(userId: UserId, reference: string, frame: string): Promise<void>;
  /** Forgets a pending pair (its send was refused); an accepted one stays. */
  forget(userId: UserId, reference: string): Promise<void>;
}

export interface AcceptLogTimes {
  /** How long an accepted pair is remembered, ms. @default 120000 */
  readonly windowMs?: number;
  /** How long a pending pair may stay unsettled, ms. @default 10000 */
  readonly pendingMs?: number;
  /** How long a take waits for a pending pair, ms. @default 5000 */
  readonly waitMs?: number;
}
