/**
 * The writes a SqliteMessageStore queues for group commit, and the commit of one batch of them in
 * one transaction (all of it or none of it).
 */
import type { BackendError, StoredEntry } from '../../core/ports.js';
import type { MessageId, UserId } from '../../core/ids.js';
import { toParams } from './sqlite-entry-codec.js';
import type { SqliteStatements } from './sqlite-statements.js';

export type Write =
  | { readonly op: 'append'; readonly entries: readonly StoredEntry[] }
  | { readonly op: 'sent' | 'delivered'; readonly recipient: UserId; readonly ids: readonly MessageId[] };

/** A write waiting for its commit, with how to settle its caller. */
export interface QueuedWrite {
  readonly write: Write;
  readonly resolve: () => void;
  readonly reject: (error: BackendError) => void;
}

/** Applies `batch` in one transaction; throws (and stores none of it) when the transaction fails. `now`: the DELIVERED time. */
export function commitWrites(sql: SqliteStatements, batch: readonly QueuedWrite[], now: number): void {
  sql.transaction(() => {
    for (const { write } of batch) {
      switch (write.op) {
        case 'append':
          for (const entry of write.entries) {
            if (entry.kind === 'presence') sql.insertPresence(toParams(entry));
            else sql.insert(toParams(entry));
          }
          break;
        case 'sent':
          for (const id of write.ids) sql.markSent(write.recipient, id);
          break;
        case 'delivered':
          for (const id of write.ids) sql.markDelivered(now, write.recipient, id);
          break;
      }
    }
  });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
