/** Lease: one holder per name cluster-wide, with fencing tokens. */
import type { Backend } from './backend.js';

/**
 * Lease elects one holder per name cluster-wide (the SSE bridge of a topic, a user's job, the
 * version poll). A fencing token comes with every grant and only grows per name: a holder whose
 * lease lapsed and was granted to someone else can no longer renew, and any work it would do can be
 * refused by comparing tokens.
 */
export interface Lease extends Backend {
  /**
   * Takes `name` for `holder` for `ttlMs` when free or expired, or renews it when `holder` already holds it.
   * Resolves the fencing token (greater than every token granted earlier for `name` when the holder changed), or undefined when someone else holds it.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<number | undefined>;
  /** Extends the lease; false when `holder`/`token` no longer hold it (expired and taken, or released). */
  renew(name: string, holder: string, token: number, ttlMs: number): Promise<boolean>;
  /** Gives it up if still held by `holder`/`token`; otherwise nothing. */
  release(name: string, holder: string, token: number): Promise<void>;
}
