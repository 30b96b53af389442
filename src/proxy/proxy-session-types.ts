/**
 * The vocabulary of a proxied connection's state machine (proxy-session.ts): its settings, the
 * states of its legs, why it ends, and the commands it gives the socket shell.
 */
import type { Frame } from './frame-queue.js';
import { ProxyCloseCode, type ProxyClose } from './proxy-close-codes.js';

/** How the delay between upstream reconnect attempts grows. */
export type Backoff = 'fixed' | 'exponential';

/** Settings of one session (the proxy flags, in their units). */
export interface ProxySessionOptions {
  /** Delay before each reconnect attempt (the base delay for `exponential`), ms. */
  readonly retryIntervalMs: number;
  /** Reconnect attempts after an upstream loss before the client is closed with 1011. */
  readonly maxRetries: number;
  /** `fixed`: every attempt waits retryIntervalMs. `exponential`: doubles per attempt, with jitter. */
  readonly backoff: Backoff;
  /** Cap of the exponential delay, ms. */
  readonly maxRetryIntervalMs: number;
  /** How long the upstream is kept for a dropped client, ms (0: closed at once). */
  readonly graceMs: number;
  /** Bound of each direction's queue, frames. */
  readonly maxQueueFrames: number;
  /** Bound of each direction's queue, bytes. */
  readonly maxQueueBytes: number;
  /** Source of jitter in [0, 1). Injected so tests are deterministic. */
  readonly random: () => number;
}

/**
 * `pending`: the client's upgrade waits for the first upstream dial. `closing`: its socket is
 * closing but has not closed yet (frames for it are queued until the close says how it ended).
 * `absent`: dropped, in the grace.
 */
export type ClientState = 'pending' | 'attached' | 'closing' | 'absent';
/** `waiting`: a reconnect attempt is scheduled. `closed`: the session ended. */
export type UpstreamState = 'connecting' | 'open' | 'waiting' | 'closed';
/** The two legs of a session. */
export type Leg = 'client' | 'upstream';

/** Why a session ended (a metric label and a log field). */
export type EndReason =
  | 'client-closed'
  | 'client-never-upgraded'
  | 'grace-expired'
  | 'retries-spent'
  | 'client-queue-full'
  | 'upstream-queue-full'
  | 'client-slow'
  | 'upstream-slow'
  | 'shutdown';

/** Frames still queued when a session ended: they were never sent, and the ending close says so. */
export interface Discarded {
  readonly toUpstream: number;
  readonly toClient: number;
}

/**
 * What the server shell must do, in the order given. `dial` opens a new upstream socket
 * (attempt 0 is the first connect); `scheduleRetry` and `startGrace` ask for one timer each that
 * calls `retryDue()` / `graceExpired()`; `end` means: clear this session's timers and forget it.
 * `end.unannounced` is the close an absent client (in the grace) should have received: the shell
 * gives it to a client that comes back with the id within the grace, so the loss is never silent.
 */
export type SessionCommand =
  | { readonly type: 'dial'; readonly attempt: number }
  | { readonly type: 'scheduleRetry'; readonly attempt: number; readonly delayMs: number }
  | { readonly type: 'sendUpstream'; readonly frames: readonly Frame[] }
  | { readonly type: 'sendClient'; readonly frames: readonly Frame[] }
  | { readonly type: 'startGrace'; readonly delayMs: number }
  | { readonly type: 'cancelGrace' }
  | { readonly type: 'closeClient'; readonly close: ProxyClose }
  | { readonly type: 'closeUpstream'; readonly close: ProxyClose }
  | { readonly type: 'end'; readonly reason: EndReason; readonly discarded: Discarded; readonly unannounced: ProxyClose | undefined };

/** True for the one client close code that ends a session at once instead of starting the grace. */
export function isNormalClose(code: number): boolean {
  return code === ProxyCloseCode.Normal;
}
