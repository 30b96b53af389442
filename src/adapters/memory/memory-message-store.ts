// In-process MessageStore: the SQLite store's semantics (order, positions, idempotency, statuses,
// coalesced presence, expiry, retention of delivered entries) without durability. For
// single-node tests and FAST-only runs.
import { BackendError } from '../../core/ports.js';
import type { Clock, EntryStatus, MessageStore, PendingOptions, PendingPage, PositionedEntry, StoredEntry, StoreStats } from '../../core/ports.js';
import type { MessageId, UserId } from '../../core/ids.js';

export interface MemoryMessageStoreOptions {
  /**
   * How long DELIVERED entries are kept (so a late repeat of their id is still ignored) before
   * a timer prunes them, in milliseconds.
   * @default 3_600_000
   */
  readonly deliveredRetentionMs?: number;
  /** @default Date.now */
  readonly clock?: Clock;
}

interface Row {
  /** Dropped once DELIVERED: only the id is kept (for idempotency), not the content. */
  entry: PositionedEntry | undefined;
  status: EntryStatus;
  deliveredAt: number;
}

interface Mailbox {
  /** Every known entry by id, DELIVERED ones included until pruned. */
  readonly all: Map<MessageId, Row>;
  /** NONE and SENT entries in append order (a Map iterates in insertion order). */
  readonly pending: Map<MessageId, Row>;
  /** The pending presence entry of each user this mailbox holds one for (coalescing). */
  readonly presence: Map<UserId, MessageId>;
}

const PRUNE_EVERY_MAX_MS = 60_000;

/**
 * MessageStore in process memory. Not durable: everything is lost with the process.
 *
 * Idempotent on (recipient, id): appending an id the recipient already has (pending or
 * delivered but not yet pruned) is ignored. Entries of one recipient come back oldest first, in
 * append order; positions come from one store-wide counter. A presence entry replaces the
 * pending one of the same (recipient, userId). Statuses only move forward: NONE → SENT →
 * DELIVERED. Every method applies its change before it resolves.
 */
export class MemoryMessageStore implements MessageStore {
  readonly name = 'memory';
  readonly #retentionMs: number;
  readonly #clock: Clock;
  readonly #mailboxes = new Map<UserId, Mailbox>();
  #pruneTimer: NodeJS.Timeout | undefined;
  #position = 0;
  #ready = false;
  #closed = false;

  constructor(options: MemoryMessageStoreOptions = {}) {
    this.#retentionMs = options.deliveredRetentionMs ?? 3_600_000;
    this.#clock = options.clock ?? Date.now;
    if (!(this.#retentionMs >= 0)) throw new RangeError(`deliveredRetentionMs must be >= 0, got ${this.#retentionMs}`);
  }

  start(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#pruneTimer === undefined) {
      const everyMs = Math.max(1, Math.min(this.#retentionMs, PRUNE_EVERY_MAX_MS));
      this.#pruneTimer = setInterval(() => this.#prune(), everyMs).unref();
    }
    this.#ready = true;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#ready = false;
    clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
    this.#mailboxes.clear();
    return Promise.resolve();
  }

  isReady(): boolean {
    return this.#ready;
  }

  append(entries: readonly StoredEntry[]): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    for (const entry of entries) {
      const box = this.#mailbox(entry.to);
      if (box.all.has(entry.id)) continue;
      if (entry.kind === 'presence') {
        const replaced = box.presence.get(entry.userId);
        if (replaced !== undefined) this.#forget(box, replaced);
        box.presence.set(entry.userId, entry.id);
      }
      const row: Row = { entry: { ...entry, position: ++this.#position }, status: 'NONE', deliveredAt: 0 };
      box.all.set(entry.id, row);
      box.pending.set(entry.id, row);
    }
    return Promise.resolve();
  }

  pending(recipient: UserId, limit: number, options: PendingOptions = {}): Promise<PendingPage> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const { exclude, after = -Infinity } = options;
    const entries: PositionedEntry[] = [];
    let remaining = 0;
    for (const [id, row] of this.#mailboxes.get(recipient)?.pending ?? []) {
      if (row.entry!.position <= after || exclude?.has(id) === true) continue;
      if (entries.length < limit) entries.push(row.entry!);
      else remaining++;
    }
    return Promise.resolve({ entries, remaining });
  }

  expire(storedBefore: number, recipientPrefix = ''): Promise<number> {
    if (this.#closed) return Promise.reject(this.#closedError());
    let expired = 0;
    for (const [userId, box] of this.#mailboxes) {
      if (!userId.startsWith(recipientPrefix)) continue;
      for (const [id, row] of box.pending) {
        if (row.entry!.storedAt >= storedBefore) continue;
        this.#forget(box, id);
        expired++;
      }
      if (box.all.size === 0) this.#mailboxes.delete(userId);
    }
    return Promise.resolve(expired);
  }

  stats(top: number): Promise<StoreStats> {
    if (this.#closed) return Promise.reject(this.#closedError());
    let pending = 0;
    let pendingBytes = 0;
    const byRecipient: { userId: UserId; pending: number; oldestAt: number }[] = [];
    for (const [userId, box] of this.#mailboxes) {
      if (box.pending.size === 0) continue;
      let oldestAt = Infinity;
      for (const { entry } of box.pending.values()) {
        oldestAt = Math.min(oldestAt, entry!.storedAt);
        if (entry!.kind === 'message') pendingBytes += entry!.contentJson.length;
      }
      pending += box.pending.size;
      byRecipient.push({ userId, pending: box.pending.size, oldestAt });
    }
    byRecipient.sort((a, b) => b.pending - a.pending || (a.userId < b.userId ? -1 : 1));
    return Promise.resolve({ pending, pendingBytes, byRecipient: byRecipient.slice(0, Math.max(0, top)) });
  }

  markSent(recipient: UserId, ids: readonly MessageId[]): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const box = this.#mailboxes.get(recipient);
    for (const id of ids) {
      const row = box?.all.get(id);
      if (row?.status === 'NONE') row.status = 'SENT';
    }
    return Promise.resolve();
  }

  markDelivered(recipient: UserId, ids: readonly MessageId[]): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const box = this.#mailboxes.get(recipient);
    if (box === undefined) return Promise.resolve();
    const now = this.#clock();
    for (const id of ids) {
      const row = box.all.get(id);
      if (row === undefined || row.status === 'DELIVERED') continue;
      row.status = 'DELIVERED';
      row.deliveredAt = now;
      // Kept for the retention only so that a repeated id is ignored: its content is not needed.
      if (row.entry!.kind === 'presence') box.presence.delete(row.entry!.userId);
      row.entry = undefined;
      box.pending.delete(id);
    }
    return Promise.resolve();
  }

  status(recipient: UserId, id: MessageId): Promise<EntryStatus | undefined> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return Promise.resolve(this.#mailboxes.get(recipient)?.all.get(id)?.status);
  }

  /** Forgets DELIVERED entries older than the retention now (the timer does this on its own). Returns how many. */
  prune(): Promise<number> {
    return Promise.resolve(this.#prune());
  }

  #prune(): number {
    const cutoff = this.#clock() - this.#retentionMs;
    let pruned = 0;
    for (const [userId, box] of this.#mailboxes) {
      for (const [id, row] of box.all) {
        if (row.status === 'DELIVERED' && row.deliveredAt <= cutoff) {
          box.all.delete(id);
          pruned++;
        }
      }
      if (box.all.size === 0) this.#mailboxes.delete(userId);
    }
    return pruned;
  }

  /** Removes a pending entry altogether (replaced presence, expiry): its id is no longer known. */
  #forget(box: Mailbox, id: MessageId): void {
    const entry = box.pending.get(id)?.entry;
    if (entry?.kind === 'presence' && box.presence.get(entry.userId) === id) box.presence.delete(entry.userId);
    box.pending.delete(id);
    box.all.delete(id);
  }

  #mailbox(userId: UserId): Mailbox {
    let box = this.#mailboxes.get(userId);
    if (box === undefined) {
      box = { all: new Map(), pending: new Map(), presence: new Map() };
      this.#mailboxes.set(userId, box);
    }
    return box;
  }

  #closedError(): BackendError {
    return new BackendError(this.name, 'message store is closed');
  }
}
