/** AcceptLog: exactly-once accept of a (user, reference) across the cluster (docs/protocol.md, "Exactly-once accept"). */
import type { UserId } from '../ids.js';
import type { Backend } from './backend.js';

/** What {@link AcceptLog.take} found. */
export type AcceptTake =
  /** Nobody took it within the window: it is this caller's now (pending until settled or forgotten). Route the message. */
  | { readonly kind: 'new' }
  /** Taken and accepted before: answer with this first MESSAGE_ACCEPTED frame instead of routing again. */
  | { readonly kind: 'answered'; readonly frame: string }
  /** Taken and still pending after waiting `waitMs`: neither route nor answer (the client retries later). */
  | { readonly kind: 'pending' };

/**
 * A (user, reference) is taken once within `windowMs`: the first `take` gets `new` and later
 * settles it with its MESSAGE_ACCEPTED (kept for the window) or forgets it (a refusal, which may be
 * sent again). A `take` that finds it pending waits up to `waitMs` for the settle. A pending entry
 * whose taker never settles (its node died) is dropped after `pendingMs`, so a repeat is routed
 * then (documented: the first may have been stored, so it can be accepted twice).
 * Shared: every node of a cluster must use the same log (the Redis adapter); the memory adapter
 * serves one node (or in-process nodes sharing one instance).
 * Bounded: an adapter keeps entries only for their window; the memory adapter also caps their number.
 */
export interface AcceptLog extends Backend {
  take(userId: UserId, reference: string): Promise<AcceptTake>;
  /** Records the first MESSAGE_ACCEPTED of a taken pair (no-op when not taken). */
  settle(userId: UserId, reference: string, frame: string): Promise<void>;
  /** Forgets a pending pair (its send was refused); an accepted one stays. */
  forget(userId: UserId, reference: string): Promise<void>;
}

export interface AcceptLogTimes {
  /** How long an accepted pair is remembered, ms. @default 120000 */
  readonly windowMs?: number;
  /** How long a pending pair may stay unsettled, ms. @default 30000 */
  readonly pendingMs?: number;
  /** How long a take waits for a pending pair, ms. @default 5000 */
  readonly waitMs?: number;
}
