// Options of the PostgreSQL message store, and the check of its integer options.
import type pg from 'pg';
import type { Clock } from '../../core/ports.js';

export interface PostgresMessageStoreOptions {
  /** postgres:// URL; used when `pool` is not given. */
  readonly connectionString?: string;
  /** A caller-made pool (the store does not end it on close). Give this or `connectionString`. */
  readonly pool?: pg.Pool;
  /** Schema of the table, created if missing. @default 'public' */
  readonly schema?: string;
  /** Table name (a second table `<table>_schema` holds the schema version). @default 'switchboard_entries' */
  readonly table?: string;
  /** Most connections of the pool the store makes. @default 10 */
  readonly poolSize?: number;
  /** How long to wait for a connection (to the server, or from a busy pool) before failing, ms. @default 5000 */
  readonly connectionTimeoutMs?: number;
  /** A statement running longer fails (server-side statement_timeout; the client gives up 1 s later). @default 10000 */
  readonly statementTimeoutMs?: number;
  /** Most entries in one INSERT (one round trip). Appends waiting while batches are in flight go into the next one. @default 2000 */
  readonly maxBatch?: number;
  /**
   * Most INSERTs in flight at once (each on its own connection). Batches in flight never share a
   * recipient, so per recipient entries still commit in the order their appends were issued.
   * @default 4
   */
  readonly maxInFlight?: number;
  /** Most entries waiting for a batch; past it `append` rejects at once with a BackendError. @default 100000 */
  readonly maxQueuedEntries?: number;
  /** How long DELIVERED entries are kept (a late repeat of their id is ignored meanwhile), ms. @default 3_600_000 */
  readonly deliveredRetentionMs?: number;
  /** While the server is unreachable, how often it is probed for `isReady`, ms. @default 1000 */
  readonly probeIntervalMs?: number;
  /** @default Date.now */
  readonly clock?: Clock;
}

/** An option that must be an integer >= 1; a RangeError names it otherwise. */
export function positiveInt(key: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${key} must be an integer >= 1, got ${value}`);
  return value;
}
