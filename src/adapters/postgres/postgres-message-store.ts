// Durable MessageStore on PostgreSQL (pg): group-committed appends (one multi-row INSERT per
// batch), ordered pending pages, coalesced presence, expiry, pruning of delivered entries, and
// readiness that follows the server. Owns its pool (unless given one), its timers and its queue.
import pg from 'pg';
import { BackendError } from '../../core/ports.js';
import type { Clock, EntryStatus, MessageStore, PendingOptions, PendingPage, StoredEntry, StoreStats } from '../../core/ports.js';
import type { MessageId, UserId } from '../../core/ids.js';
import { AppendBatcher } from './postgres-append-batcher.js';
import { DeferredMarks } from './postgres-deferred-marks.js';
import { fromRow, KIND_PRESENCE, toInsertParams, type EntryRow } from './postgres-entry-codec.js';
import { IDENTIFIER, migrate, statements, type Statements } from './postgres-schema.js';
import { positiveInt, type PostgresMessageStoreOptions } from './postgres-message-store-options.js';
import { errorText, isConflictAbort, isConnectionError } from './postgres-errors.js';

export type { PostgresMessageStoreOptions } from './postgres-message-store-options.js';

const STATUS_NAMES: readonly EntryStatus[] = ['NONE', 'SENT', 'DELIVERED'];
const CHUNK = 5_000;
const PRUNE_EVERY_MAX_MS = 60_000;
const MAX_DEFERRED_MARKS = 100_000;

/**
 * MessageStore in one PostgreSQL table.
 *
 * Durable: `append` resolves once its INSERT committed. Group commit: appends issued while a
 * batch is in flight share the next INSERT (at most `maxBatch` entries, one round trip); if it
 * fails, every append of the batch rejects with a BackendError (driver error as `cause`) and,
 * the INSERT being one statement, none of it is stored. Order: per recipient, entries come back
 * in the order their appends were issued (batches in flight never share a recipient). Idempotent on
 * (recipient, id). Presence entries are coalesced per (recipient, user) within this store's
 * batches; two nodes appending for the same pair at the same instant may leave two pending, and
 * the pair's next append removes the older ones. `isReady` is false from a connection failure
 * until a probe or a query succeeds again; the pool reconnects on its own after a restart.
 */
export class PostgresMessageStore implements MessageStore {
  readonly name = 'postgres';
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #schema: string;
  readonly #table: string;
  readonly #sql: Statements;
  readonly #batcher: AppendBatcher;
  readonly #retentionMs: number;
  readonly #probeMs: number;
  readonly #clock: Clock;
  #started = false;
  #closed: Promise<void> | undefined;
  #reachable = false;
  #probeTimer: NodeJS.Timeout | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  readonly #counters = { batches: 0, failedBatches: 0, entries: 0 };
  readonly #deferred = new DeferredMarks(MAX_DEFERRED_MARKS);

  constructor(options: PostgresMessageStoreOptions) {
    this.#schema = options.schema ?? 'public';
    this.#table = options.table ?? 'switchboard_entries';
    for (const [key, value] of [['schema', this.#schema], ['table', this.#table]] as const) {
      if (!IDENTIFIER.test(value)) throw new RangeError(`${key} must match ${String(IDENTIFIER)}, got ${JSON.stringify(value)}`);
    }
    this.#batcher = new AppendBatcher({
      maxBatch: positiveInt('maxBatch', options.maxBatch ?? 2_000),
      maxQueued: positiveInt('maxQueuedEntries', options.maxQueuedEntries ?? 100_000),
      maxInFlight: positiveInt('maxInFlight', options.maxInFlight ?? 4),
      send: (entries) => this.#insert(entries),
    });
    this.#retentionMs = options.deliveredRetentionMs ?? 3_600_000;
    if (!(this.#retentionMs >= 0)) throw new RangeError(`deliveredRetentionMs must be >= 0, got ${this.#retentionMs}`);
    this.#probeMs = positiveInt('probeIntervalMs', options.probeIntervalMs ?? 1_000);
    this.#clock = options.clock ?? Date.now;
    this.#sql = statements(`"${this.#schema}"."${this.#table}"`);
    if (options.pool !== undefined) {
      this.#pool = options.pool;
      this.#ownsPool = false;
    } else {
      if (options.connectionString === undefined) throw new TypeError('give connectionString or pool');
      const statementTimeoutMs = positiveInt('statementTimeoutMs', options.statementTimeoutMs ?? 10_000);
      this.#pool = new pg.Pool({
        connectionString: options.connectionString,
        max: positiveInt('poolSize', options.poolSize ?? 10),
        connectionTimeoutMillis: positiveInt('connectionTimeoutMs', options.connectionTimeoutMs ?? 5_000),
        statement_timeout: statementTimeoutMs,
        query_timeout: statementTimeoutMs + 1_000,
        idleTimeoutMillis: 30_000,
      });
      this.#ownsPool = true;
    }
    // An idle connection dropped by the server (restart, failover) is reported here; without a
    // listener it would crash the process. The pool replaces it on the next query.
    this.#pool.on('error', (err) => this.#failed(err));
  }

  /** Connects and migrates (under an advisory lock). Rejects with a BackendError if the server cannot be reached. */
  async start(): Promise<void> {
    if (this.#closed !== undefined) throw new BackendError(this.name, 'message store is closed');
    if (this.#started) return;
    try {
      const client = await this.#pool.connect();
      try {
        await migrate(client, this.#schema, this.#table);
      } finally {
        client.release();
      }
    } catch (cause) {
      throw new BackendError(this.name, `cannot start on ${this.#schema}.${this.#table}: ${errorText(cause)}`, { cause });
    }
    this.#started = true;
    this.#reachable = true;
    const everyMs = Math.max(1_000, Math.min(this.#retentionMs, PRUNE_EVERY_MAX_MS));
    this.#pruneTimer = setInterval(() => void this.prune().catch(() => undefined), everyMs).unref();
  }

  /** Waits for queued appends, stops the timers, ends the pool it made. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    await this.#batcher.whenIdle();
    this.#reachable = false;
    if (this.#ownsPool) await this.#pool.end();
  }

  isReady(): boolean {
    return this.#started && this.#closed === undefined && this.#reachable;
  }

  append(entries: readonly StoredEntry[]): Promise<void> {
    const unusable = this.#unusable();
    if (unusable !== undefined) return Promise.reject(unusable);
    if (entries.length === 0) return Promise.resolve();
    const queued = this.#batcher.append(entries);
    return queued ?? Promise.reject(new BackendError(this.name, `append queue full (${this.#batcher.queued} entries waiting)`));
  }

  /** One batch, one statement: all of it is stored, or (rejecting) none. */
  async #insert(entries: readonly StoredEntry[]): Promise<void> {
    const params = toInsertParams(entries);
    const text = params[2].includes(KIND_PRESENCE) ? this.#sql.insertCoalescing : this.#sql.insert;
    // A batch aborted by a deadlock or serialization conflict stored nothing: sent again, at most 3 times.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#query(text, params);
        break;
      } catch (error) {
        if (attempt < 3 && isConflictAbort(error)) continue;
        this.#counters.failedBatches++;
        throw this.#wrap('append', error, entries.length);
      }
    }
    this.#counters.batches++;
    this.#counters.entries += entries.length;
  }

  /** INSERTs sent (batches), failed, and entries in the committed ones: for tests and figures. */
  counters(): { readonly batches: number; readonly failedBatches: number; readonly entries: number } {
    return { ...this.#counters };
  }

  async pending(recipient: UserId, limit: number, options: PendingOptions = {}): Promise<PendingPage> {
    const after = options.after !== undefined && Number.isFinite(options.after) ? Math.floor(options.after) : 0;
    const exclude = options.exclude === undefined ? [] : [...options.exclude];
    if (this.#deferred.size > 0) await this.#drainDeferred();
    const rows = await this.#read<EntryRow & { total: string }>('pending', this.#sql.pending, [recipient, after, exclude, Math.max(0, Math.floor(limit))]);
    const total = Number(rows[0]?.total ?? 0);
    const entries = rows.filter((r) => r.seq !== null).map(fromRow);
    return { entries, remaining: Math.max(0, total - entries.length) };
  }

  async markSent(recipient: UserId, ids: readonly MessageId[]): Promise<void> {
    if (ids.length > 0) await this.#read('markSent', this.#sql.markSent, [recipient, ids]);
    else this.#throwIfUnusable();
  }

  /** While the server is unreachable, failed marks are also kept (bounded) and written once it answers. */
  async markDelivered(recipient: UserId, ids: readonly MessageId[]): Promise<void> {
    if (ids.length === 0) return this.#throwIfUnusable();
    try {
      await this.#read('markDelivered', this.#sql.markDelivered, [recipient, ids, this.#clock()]);
    } catch (error) {
      if (!this.#reachable && this.#started && this.#closed === undefined) this.#deferred.add(recipient, ids);
      throw error;
    }
  }

  /** Writes the kept DELIVERED marks; resolves false (keeping the rest) when the server fails again. */
  #drainDeferred(): Promise<boolean> {
    return this.#deferred.drain((to, ids) => this.#pool.query(this.#sql.markDelivered, [to, ids, this.#clock()]), isConnectionError);
  }

  async status(recipient: UserId, id: MessageId): Promise<EntryStatus | undefined> {
    const rows = await this.#read<{ status: number }>('status', this.#sql.status, [recipient, id]);
    return rows[0] === undefined ? undefined : STATUS_NAMES[rows[0].status];
  }

  /** Deletes, in chunks of 5,000, pending entries stored before `storedBefore` (of recipients starting with the prefix). */
  async expire(storedBefore: number, recipientPrefix = ''): Promise<number> {
    return this.#chunked('expire', this.#sql.expire, [storedBefore, recipientPrefix]);
  }

  /** Removes DELIVERED entries older than the retention now (a timer does this on its own). Resolves how many. */
  prune(): Promise<number> {
    return this.#chunked('prune', this.#sql.prune, [this.#clock() - this.#retentionMs]);
  }

  async stats(top: number): Promise<StoreStats> {
    const [totals] = await this.#read<{ pending: string; bytes: string }>('stats', this.#sql.totals, []);
    const rows = await this.#read<{ recipient: string; pending: string; oldest: string }>('stats', this.#sql.top, [Math.max(0, Math.floor(top))]);
    return {
      pending: Number(totals?.pending ?? 0),
      pendingBytes: Number(totals?.bytes ?? 0),
      byRecipient: rows.map((r) => ({ userId: r.recipient as UserId, pending: Number(r.pending), oldestAt: Number(r.oldest) })),
    };
  }

  async #chunked(what: string, text: string, params: unknown[]): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.#run(what, text, [...params, CHUNK]);
      total += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < CHUNK) return total;
    }
  }

  async #read<R extends pg.QueryResultRow>(what: string, text: string, params: unknown[]): Promise<R[]> {
    return (await this.#run<R>(what, text, params)).rows;
  }

  async #run<R extends pg.QueryResultRow>(what: string, text: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    this.#throwIfUnusable();
    try {
      return await this.#query<R>(text, params);
    } catch (error) {
      throw this.#wrap(what, error);
    }
  }

  async #query<R extends pg.QueryResultRow>(text: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      const result = await this.#pool.query<R>(text, params);
      this.#reachable = true;
      if (this.#deferred.size > 0) void this.#drainDeferred();
      return result;
    } catch (error) {
      if (isConnectionError(error)) this.#failed(error);
      throw error;
    }
  }

  /** A connection-level failure: not ready until the server answers a probe (or any query) again. */
  #failed(_error: unknown): void {
    this.#reachable = false;
    if (this.#probeTimer !== undefined || this.#closed !== undefined || !this.#started) return;
    const probe = (): void => {
      this.#probeTimer = undefined;
      if (this.#closed !== undefined || this.#reachable) return;
      this.#pool.query(this.#sql.ping).then(
        async () => {
          // Kept DELIVERED marks first, so no fetch after the outage serves those messages again.
          if (await this.#drainDeferred()) this.#reachable = true;
          else this.#probeTimer = setTimeout(probe, this.#probeMs).unref();
        },
        () => {
          this.#probeTimer = setTimeout(probe, this.#probeMs).unref();
        },
      );
    };
    this.#probeTimer = setTimeout(probe, this.#probeMs).unref();
  }

  #wrap(what: string, error: unknown, entries?: number): BackendError {
    if (error instanceof BackendError) return error;
    const detail = entries === undefined ? '' : ` of ${entries} entries`;
    return new BackendError(this.name, `${what}${detail} failed: ${errorText(error)}`, { cause: error });
  }

  #unusable(): BackendError | undefined {
    if (this.#closed !== undefined) return new BackendError(this.name, 'message store is closed');
    if (!this.#started) return new BackendError(this.name, 'message store is not started');
    return undefined;
  }

  #throwIfUnusable(): void {
    const error = this.#unusable();
    if (error !== undefined) throw error;
  }
}
