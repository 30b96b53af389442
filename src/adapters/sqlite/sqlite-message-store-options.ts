// Options and counters of the SQLite message store (types only).
import type { Clock } from '../../core/ports.js';

export interface SqliteMessageStoreOptions {
  /** Database file; its directory is created if missing. */
  readonly path: string;
  /**
   * 'full' syncs the WAL on every commit: accepted entries survive power loss. 'normal' survives
   * kill -9 of the process but may lose the last commits on power loss, and is much faster.
   * @default 'full'
   */
  readonly synchronous?: 'full' | 'normal';
  /**
   * The group-commit window, in milliseconds: at most one durable commit per window. A write
   * after a quiet spell commits on the next turn of the event loop; writes that come within the
   * window after a commit wait for its end and share the next commit. 0: every event-loop turn
   * with writes commits.
   * @default 0
   */
  readonly commitDelayMs?: number;
  /**
   * How long status updates (markSent, markDelivered) wait for a commit to ride on, in
   * milliseconds. They join the next append commit if one comes first; otherwise they commit on
   * their own without a sync of their own (a status lost to power loss means an entry is served
   * again — never that one is lost).
   * @default 20
   */
  readonly statusDelayMs?: number;
  /**
   * A batch commits at once when it holds this many entries and ids.
   * @default 2000
   */
  readonly maxBatch?: number;
  /**
   * How long DELIVERED entries are kept (a late repeat of their id is ignored meanwhile) before a
   * timer prunes them, in milliseconds.
   * @default 3_600_000
   */
  readonly deliveredRetentionMs?: number;
  /**
   * Largest database size in bytes (SQLite max_page_count); beyond it appends fail with a
   * BackendError, as on a full disk.
   * @default no limit
   */
  readonly maxSizeBytes?: number;
  /** @default Date.now */
  readonly clock?: Clock;
}

/** Counters for tests and metrics. */
export interface SqliteMessageStoreCounters {
  /** Transactions committed by the writer. */
  readonly commits: number;
  /** Transactions that failed and were rolled back; their writes were rejected. */
  readonly failedCommits: number;
  /** Entries handed to append (before idempotency filtering). */
  readonly appendedEntries: number;
  /** Delivered entries removed by pruning. */
  readonly pruned: number;
  /** Prune runs that failed (retried by the next run). */
  readonly pruneErrors: number;
}
