// Durable MessageStore on an embedded SQLite file (WAL): group-committed writes, ordered pending
// pages, pruning of delivered entries. Owns its database handle and its timers.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BackendError } from '../../core/ports.js';
import type { EntryStatus, MessageStore, PendingOptions, PendingPage, StoredEntry, StoreStats } from '../../core/ports.js';
import type { MessageId, UserId } from '../../core/ids.js';
import { fromRow, statusName } from './sqlite-entry-codec.js';
import type { EntryRow } from './sqlite-entry-codec.js';
import { migrate } from './sqlite-schema.js';
import { EXPIRE_WINDOW, SqliteStatements } from './sqlite-statements.js';
import { commitWrites, errorText, type QueuedWrite, type Write } from './sqlite-writes.js';
import type { SqliteMessageStoreCounters, SqliteMessageStoreOptions } from './sqlite-message-store-options.js';

export type { SqliteMessageStoreCounters, SqliteMessageStoreOptions } from './sqlite-message-store-options.js';

const PRUNE_EVERY_MAX_MS = 60_000;

/**
 * MessageStore in one SQLite file, WAL mode.
 *
 * Durable: `append` and `markDelivered` resolve only after their transaction committed, so an
 * accepted entry survives kill -9 (and power loss with synchronous 'full').
 * Group commit: writes issued while a batch is open share one transaction; if it fails, every
 * write of the batch rejects with a BackendError and none of it is stored. The store keeps
 * working once the cause (a full disk) is gone.
 * Order: per recipient, entries come back in the order their appends were issued, across batches.
 * Idempotent on (recipient, id), including DELIVERED entries until they are pruned.
 */
export class SqliteMessageStore implements MessageStore {
  readonly name = 'sqlite';
  readonly #options: Required<Omit<SqliteMessageStoreOptions, 'maxSizeBytes'>> & { maxSizeBytes: number | undefined };
  #db: Database.Database | undefined;
  #sql: SqliteStatements | undefined;
  #queue: QueuedWrite[] = [];
  #queuedItems = 0;
  #flushTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** Status updates waiting for a commit (the next append batch, or their own after statusDelayMs). */
  #statusQueue: QueuedWrite[] = [];
  #statusTimer: NodeJS.Timeout | undefined;
  /** performance.now() of the last durable commit, for the commit window. */
  #lastCommitAt = -Infinity;
  #pruneTimer: NodeJS.Timeout | undefined;
  #closed: Promise<void> | undefined;
  #stats = { commits: 0, failedCommits: 0, appendedEntries: 0, pruned: 0, pruneErrors: 0 };

  constructor(options: SqliteMessageStoreOptions) {
    this.#options = {
      path: options.path,
      synchronous: options.synchronous ?? 'full',
      commitDelayMs: options.commitDelayMs ?? 0,
      statusDelayMs: options.statusDelayMs ?? 20,
      maxBatch: options.maxBatch ?? 2_000,
      deliveredRetentionMs: options.deliveredRetentionMs ?? 3_600_000,
      maxSizeBytes: options.maxSizeBytes,
      clock: options.clock ?? Date.now,
    };
    const { commitDelayMs, maxBatch, deliveredRetentionMs, synchronous } = this.#options;
    if (!(this.#options.statusDelayMs >= 0)) throw new RangeError(`statusDelayMs must be >= 0, got ${this.#options.statusDelayMs}`);
    if (!(commitDelayMs >= 0)) throw new RangeError(`commitDelayMs must be >= 0, got ${commitDelayMs}`);
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be an integer >= 1, got ${maxBatch}`);
    if (!(deliveredRetentionMs >= 0)) throw new RangeError(`deliveredRetentionMs must be >= 0, got ${deliveredRetentionMs}`);
    if (synchronous !== 'full' && synchronous !== 'normal') throw new RangeError(`synchronous must be 'full' or 'normal', got ${String(synchronous)}`);
  }

  /** Opens (creating the file and its directory if needed) and migrates the database. */
  start(): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(new BackendError(this.name, 'message store is closed'));
    if (this.#db !== undefined) return Promise.resolve();
    try {
      const { path, synchronous, maxSizeBytes, deliveredRetentionMs } = this.#options;
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      try {
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
        if (maxSizeBytes !== undefined) {
          const pageSize = db.pragma('page_size', { simple: true }) as number;
          db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxSizeBytes / pageSize))}`);
        }
        migrate(db);
        this.#sql = new SqliteStatements(db);
      } catch (error) {
        db.close();
        throw error;
      }
      this.#db = db;
      const everyMs = Math.max(1, Math.min(deliveredRetentionMs, PRUNE_EVERY_MAX_MS));
      this.#pruneTimer = setInterval(() => this.#prune(), everyMs).unref();
      return Promise.resolve();
    } catch (cause) {
      return Promise.reject(new BackendError(this.name, `cannot open ${this.#options.path}: ${errorText(cause)}`, { cause }));
    }
  }

  /** Commits the open batch, stops the timers and closes the database. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
    this.#flush(true);
    this.#db?.close();
    this.#db = undefined;
    this.#sql = undefined;
    await Promise.resolve();
  }

  /** True between start and close. A failed commit does not change it: the next one may succeed. */
  isReady(): boolean {
    return this.#db !== undefined && this.#closed === undefined;
  }

  append(entries: readonly StoredEntry[]): Promise<void> {
    if (entries.length === 0) return this.#usable();
    this.#stats.appendedEntries += entries.length;
    return this.#enqueue({ op: 'append', entries }, entries.length);
  }

  pending(recipient: UserId, limit: number, options: PendingOptions = {}): Promise<PendingPage> {
    return this.#read((sql) => {
      const { exclude, after } = options;
      const from = after !== undefined && Number.isFinite(after) ? after : 0;
      const excluded = exclude === undefined || exclude.size === 0 ? undefined : JSON.stringify([...exclude]);
      const rows = sql.pendingPage(recipient, from, Math.max(0, limit), excluded) as EntryRow[];
      const total = sql.pendingCount(recipient, from, excluded);
      return { entries: rows.map(fromRow), remaining: Math.max(0, total - rows.length) };
    });
  }

  /**
   * Deletes pending entries stored before `storedBefore` (of recipients starting with
   * `recipientPrefix`), a window of rows per transaction with a turn of the event loop between
   * windows, so a large store never blocks appends for long. Resolves how many were deleted.
   */
  async expire(storedBefore: number, recipientPrefix = ''): Promise<number> {
    await this.#usable();
    let expired = 0;
    let from = 0;
    // Rows appended while the sweep runs were stored after it began: they need no look.
    const last = await this.#read((sql) => sql.maxSeq());
    for (;;) {
      const sql = this.#sql;
      if (sql === undefined || this.#closed !== undefined) throw new BackendError(this.name, 'message store is closed');
      if (from >= last) return expired;
      try {
        expired += sql.expireWindow(from, from + EXPIRE_WINDOW, storedBefore, recipientPrefix);
      } catch (cause) {
        throw new BackendError(this.name, `expiry failed: ${errorText(cause)}`, { cause });
      }
      from += EXPIRE_WINDOW;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  stats(top: number): Promise<StoreStats> {
    return this.#read((sql) => {
      const { pending, pendingBytes, byRecipient } = sql.stats(Math.max(0, Math.floor(top)));
      return { pending, pendingBytes, byRecipient: byRecipient.map((r) => ({ ...r, userId: r.userId as UserId })) };
    });
  }

  /** Best effort and idempotent; resolves after the commit of its batch. */
  markSent(recipient: UserId, ids: readonly MessageId[]): Promise<void> {
    if (ids.length === 0) return this.#usable();
    return this.#enqueueStatus({ op: 'sent', recipient, ids });
  }

  markDelivered(recipient: UserId, ids: readonly MessageId[]): Promise<void> {
    if (ids.length === 0) return this.#usable();
    return this.#enqueueStatus({ op: 'delivered', recipient, ids });
  }

  status(recipient: UserId, id: MessageId): Promise<EntryStatus | undefined> {
    return this.#read((sql) => statusName(sql.status(recipient, id)));
  }

  /** Removes DELIVERED entries older than the retention now (the timer does this on its own). Resolves with how many. */
  prune(): Promise<number> {
    return this.#read(() => this.#prune());
  }

  /** Commit and pruning counters of this instance (not the port's `stats`, which reads the database). */
  counters(): SqliteMessageStoreCounters {
    return { ...this.#stats };
  }

  #enqueue(write: Write, items: number): Promise<void> {
    const usable = this.#usable();
    if (this.#sql === undefined || this.#closed !== undefined) return usable;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ write, resolve, reject });
      this.#queuedItems += items;
      if (this.#queuedItems >= this.#options.maxBatch) this.#flush();
      else this.#flushTimer ??= this.#scheduleFlush();
    });
  }

  /**
   * At most one durable commit per commitDelayMs: a write after a quiet spell commits on the next
   * event-loop turn (low latency when idle); writes that follow a recent commit wait for the rest
   * of the window and share the next one (fewer syncs under load).
   */
  #scheduleFlush(): NodeJS.Timeout | NodeJS.Immediate {
    const wait = this.#lastCommitAt + this.#options.commitDelayMs - performance.now();
    return wait > 0 ? setTimeout(() => this.#flush(), wait) : setImmediate(() => this.#flush());
  }

  #enqueueStatus(write: Write): Promise<void> {
    const usable = this.#usable();
    if (this.#sql === undefined || this.#closed !== undefined) return usable;
    return new Promise<void>((resolve, reject) => {
      this.#statusQueue.push({ write, resolve, reject });
      if (this.#statusQueue.length >= this.#options.maxBatch) this.#flushStatus();
      else this.#statusTimer ??= setTimeout(() => this.#flushStatus(), this.#options.statusDelayMs);
    });
  }

  /** Commits the waiting status updates on their own, without a sync (see statusDelayMs). */
  #flushStatus(): void {
    const relaxed = this.#options.synchronous === 'full' && this.#queue.length === 0 && this.#db !== undefined;
    if (relaxed) this.#db!.pragma('synchronous = NORMAL');
    try {
      this.#flush(true);
    } finally {
      if (relaxed) this.#db?.pragma('synchronous = FULL');
    }
  }

  /**
   * Writes the queued appends (and, with them, any waiting status updates) in one transaction,
   * then settles every write of it. `withStatus` alone flushes status updates too when no append
   * is queued.
   */
  #flush(withStatus = false): void {
    if (this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer as NodeJS.Timeout);
      clearImmediate(this.#flushTimer as NodeJS.Immediate);
      this.#flushTimer = undefined;
    }
    if (this.#statusTimer !== undefined && (withStatus || this.#queue.length > 0)) {
      clearTimeout(this.#statusTimer);
      this.#statusTimer = undefined;
    }
    const appends = this.#queue;
    const statuses = withStatus || appends.length > 0 ? this.#statusQueue : [];
    if (appends.length === 0 && statuses.length === 0) return;
    const batch = statuses.length === 0 ? appends : appends.concat(statuses);
    this.#queue = [];
    this.#queuedItems = 0;
    if (statuses.length > 0) this.#statusQueue = [];
    const sql = this.#sql;
    try {
      if (sql === undefined) throw new Error('database is not open');
      commitWrites(sql, batch, this.#options.clock());
    } catch (cause) {
      this.#stats.failedCommits++;
      const error = new BackendError(this.name, `commit of ${batch.length} writes failed: ${errorText(cause)}`, { cause });
      for (const w of batch) w.reject(error);
      return;
    }
    this.#stats.commits++;
    if (appends.length > 0) this.#lastCommitAt = performance.now();
    for (const w of batch) w.resolve();
  }

  #prune(): number {
    const sql = this.#sql;
    if (sql === undefined) return 0;
    try {
      const pruned = sql.pruneDelivered(this.#options.clock() - this.#options.deliveredRetentionMs);
      this.#stats.pruned += pruned;
      return pruned;
    } catch {
      // Pruning only frees space; a failure (busy or full disk) is counted and retried next run.
      this.#stats.pruneErrors++;
      return 0;
    }
  }

  #read<T>(fn: (sql: SqliteStatements) => T): Promise<T> {
    if (this.#sql === undefined || this.#closed !== undefined) return this.#usable() as Promise<never>;
    try {
      return Promise.resolve(fn(this.#sql));
    } catch (cause) {
      return Promise.reject(new BackendError(this.name, `read failed: ${errorText(cause)}`, { cause }));
    }
  }

  /** Resolves if the store accepts calls, else rejects with why not. */
  #usable(): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(new BackendError(this.name, 'message store is closed'));
    if (this.#sql === undefined) return Promise.reject(new BackendError(this.name, 'message store is not started'));
    return Promise.resolve();
  }
}
