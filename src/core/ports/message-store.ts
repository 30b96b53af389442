/** MessageStore: RELIABLE messages, confirmations and kept presence entries until their recipient has them. */
import type { MessageId, UserId } from '../ids.js';
import type { Backend } from './backend.js';

/** Delivery status of a stored entry (seed 004): NONE stored → SENT written to a socket → DELIVERED proven received. */
export type EntryStatus = 'NONE' | 'SENT' | 'DELIVERED';

/** A RELIABLE message waiting for its recipient. `contentJson` is the sender's content as JSON text. */
export interface StoredMessage {
  readonly kind: 'message';
  readonly id: MessageId;
  readonly to: UserId;
  readonly from: UserId;
  readonly contentJson: string;
  readonly reference?: string;
  /** Milliseconds since the epoch, from the Clock. */
  readonly storedAt: number;
  /** false: the sender asked for no MESSAGE_CONFIRMATION (`confirmationEnabled: false`). Absent: confirmed when referenced. */
  readonly confirm?: false;
}

/** A MESSAGE_CONFIRMATION waiting for the original sender (`to`). Confirmations are always reliable. */
export interface StoredConfirmation {
  readonly kind: 'confirmation';
  readonly id: MessageId;
  readonly to: UserId;
  readonly reference: string;
  readonly storedAt: number;
}

/** A USER_CONNECTED / USER_DISCONNECTED kept for a master user who was not connected (contract §13). */
export interface StoredPresence {
  readonly kind: 'presence';
  readonly id: MessageId;
  /** The master user it is kept for. */
  readonly to: UserId;
  /** The user who came or went. */
  readonly userId: UserId;
  readonly event: 'USER_CONNECTED' | 'USER_DISCONNECTED';
  readonly storedAt: number;
}
export type StoredEntry = StoredMessage | StoredConfirmation | StoredPresence;

/** An entry as `pending` returns it: with its position in the recipient's inbox. */
export type PositionedEntry = StoredEntry & {
  /** Grows with every append to this recipient (a store-wide sequence is fine); `pending({after})` starts after it. */
  readonly position: number;
};

export interface PendingPage {
  /** Oldest first (append order per recipient). */
  readonly entries: readonly PositionedEntry[];
  /** Entries still pending for the recipient after this page (excluded ids not counted). */
  readonly remaining: number;
}

export interface PendingOptions {
  /** Ids to skip (entries in flight on a live connection). */
  readonly exclude?: ReadonlySet<MessageId>;
  /** Only entries whose position is greater than this (resume: "everything after N"). */
  readonly after?: number;
}

export interface StoreStats {
  /** Entries not yet DELIVERED, all recipients. */
  readonly pending: number;
  /** Bytes of content those entries hold (approximate: content text length). */
  readonly pendingBytes: number;
  /** The recipients with the most pending entries, most first (at most `top`). */
  readonly byRecipient: readonly { readonly userId: UserId; readonly pending: number; readonly oldestAt: number }[];
}

export interface MessageStore extends Backend {
  /**
   * Stores entries with status NONE. Idempotent on (`to`, `id`).
   * A `presence` entry replaces any pending presence entry with the same (`to`, `userId`): at most
   * one per pair is ever pending (coalesced), and it takes a new position (latest transition last).
   * Resolves once durable; rejects with a BackendError when it could not be stored (then none is stored).
   */
  append(entries: readonly StoredEntry[]): Promise<void>;
  /** Entries of `recipient` not yet DELIVERED, oldest first, at most `limit`. */
  pending(recipient: UserId, limit: number, options?: PendingOptions): Promise<PendingPage>;
  markSent(recipient: UserId, ids: readonly MessageId[]): Promise<void>;
  markDelivered(recipient: UserId, ids: readonly MessageId[]): Promise<void>;
  /** (Tests only.) */
  status(recipient: UserId, id: MessageId): Promise<EntryStatus | undefined>;
  /**
   * Retention: deletes entries not yet DELIVERED that were stored before `storedBefore`, of recipients
   * whose userId starts with `recipientPrefix` when given (an app's `<appName>-`). Resolves the number deleted.
   */
  expire(storedBefore: number, recipientPrefix?: string): Promise<number>;
  /** What is stored and for whom (the `switchboard store stats` command, the console). */
  stats(top: number): Promise<StoreStats>;
}
