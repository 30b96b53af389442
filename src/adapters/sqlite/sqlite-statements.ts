// The prepared statements of the SQLite message store, each behind a small typed method.
// No batching or lifecycle here; the store decides when they run.
import type Database from 'better-sqlite3';
import type { EntryParams } from './sqlite-entry-codec.js';

const PENDING = 'recipient = ? AND status < 2 AND seq > ?';
const NOT_EXCLUDED = 'AND id NOT IN (SELECT value FROM json_each(?))';
const PAGE = 'SELECT seq, kind, id, recipient, sender, content, reference, stored_at FROM entries';
const PRUNE_CHUNK = 5_000;
/** Rows (by seq) one expiry statement looks at, so that no statement blocks the event loop for long. */
export const EXPIRE_WINDOW = 20_000;
/** `recipient` starts with the text bound twice (exact: no LIKE wildcards). */
const PREFIXED = 'substr(recipient, 1, length(?)) = ?';

/** Counts of what is pending, and the recipients with the most. */
export interface SqliteStats {
  readonly pending: number;
  readonly pendingBytes: number;
  readonly byRecipient: { userId: string; pending: number; oldestAt: number }[];
}

export class SqliteStatements {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #markSent: Database.Statement;
  readonly #markDelivered: Database.Statement;
  readonly #status: Database.Statement;
  readonly #page: Database.Statement;
  readonly #pageExcluding: Database.Statement;
  readonly #count: Database.Statement;
  readonly #countExcluding: Database.Statement;
  readonly #prune: Database.Statement;
  readonly #replacePresence: Database.Statement;
  readonly #maxSeq: Database.Statement;
  readonly #highWater: Database.Statement;
  readonly #expire: Database.Statement;
  readonly #expirePrefixed: Database.Statement;
  readonly #totals: Database.Statement;
  readonly #top: Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(
      'INSERT OR IGNORE INTO entries (recipient, id, kind, sender, content, reference, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#markSent = db.prepare('UPDATE entries SET status = 1 WHERE recipient = ? AND id = ? AND status = 0');
    this.#markDelivered = db.prepare('UPDATE entries SET status = 2, delivered_at = ? WHERE recipient = ? AND id = ? AND status < 2');
    this.#status = db.prepare('SELECT status FROM entries WHERE recipient = ? AND id = ?').pluck();
    this.#page = db.prepare(`${PAGE} WHERE ${PENDING} ORDER BY seq LIMIT ?`);
    this.#pageExcluding = db.prepare(`${PAGE} WHERE ${PENDING} ${NOT_EXCLUDED} ORDER BY seq LIMIT ?`);
    this.#count = db.prepare(`SELECT count(*) FROM entries WHERE ${PENDING}`).pluck();
    this.#countExcluding = db.prepare(`SELECT count(*) FROM entries WHERE ${PENDING} ${NOT_EXCLUDED}`).pluck();
    // Chunked so that a large backlog of delivered rows never blocks the event loop for long.
    this.#prune = db.prepare(
      `DELETE FROM entries WHERE seq IN (SELECT seq FROM entries WHERE status = 2 AND delivered_at <= ? AND kind <> 3 LIMIT ${PRUNE_CHUNK})`,
    );
    this.#replacePresence = db.prepare('DELETE FROM entries WHERE recipient = ? AND kind = 2 AND sender = ? AND status < 2 AND seq <> ?');
    this.#maxSeq = db.prepare('SELECT coalesce(max(seq), 0) FROM entries').pluck();
    this.#highWater = db.prepare("INSERT OR REPLACE INTO entries (seq, recipient, id, kind, stored_at, status, delivered_at) VALUES (?, '', '', 3, 0, 2, 0)");
    const expire = 'DELETE FROM entries WHERE seq > ? AND seq <= ? AND status < 2 AND stored_at < ?';
    this.#expire = db.prepare(expire);
    this.#expirePrefixed = db.prepare(`${expire} AND ${PREFIXED}`);
    this.#totals = db.prepare("SELECT count(*) AS pending, coalesce(sum(CASE WHEN kind IN (0, 4) THEN length(content) END), 0) AS pendingBytes FROM entries WHERE status < 2 AND recipient <> ''");
    this.#top = db.prepare(
      "SELECT recipient AS userId, count(*) AS pending, min(stored_at) AS oldestAt FROM entries WHERE status < 2 AND recipient <> '' GROUP BY recipient ORDER BY pending DESC, recipient LIMIT ?",
    );
  }

  /** Runs `fn` in one transaction; rolls back and rethrows if it or the commit fails. */
  transaction(fn: () => void): void {
    this.#db.transaction(fn)();
  }

  insert(params: EntryParams): void {
    this.#insert.run(...params);
  }

  /** Inserts a presence entry and, if it was new, removes the pending one it replaces. */
  insertPresence(params: EntryParams): void {
    const { changes, lastInsertRowid } = this.#insert.run(...params);
    if (changes === 1) this.#replacePresence.run(params[0], params[3], lastInsertRowid);
  }

  markSent(recipient: string, id: string): void {
    this.#markSent.run(recipient, id);
  }

  markDelivered(now: number, recipient: string, id: string): void {
    this.#markDelivered.run(now, recipient, id);
  }

  status(recipient: string, id: string): number | undefined {
    return this.#status.get(recipient, id) as number | undefined;
  }

  /** `excludedJson`: a JSON array of ids to skip, or undefined for none. */
  pendingPage(recipient: string, after: number, limit: number, excludedJson: string | undefined): unknown[] {
    return excludedJson === undefined ? this.#page.all(recipient, after, limit) : this.#pageExcluding.all(recipient, after, excludedJson, limit);
  }

  pendingCount(recipient: string, after: number, excludedJson: string | undefined): number {
    return (excludedJson === undefined ? this.#count.get(recipient, after) : this.#countExcluding.get(recipient, after, excludedJson)) as number;
  }

  maxSeq(): number {
    return this.#maxSeq.get() as number;
  }

  /**
   * SQLite gives a new row max(seq) + 1, so deleting the newest rows would hand their positions
   * out again. After a delete, a row of kind 3 (recipient '', status DELIVERED) keeps `seq` at
   * the old maximum; it replaces the previous one and is never returned.
   */
  keepHighWater(maxBefore: number): void {
    if (maxBefore > 0 && this.maxSeq() < maxBefore) this.#highWater.run(maxBefore);
  }

  /** Deletes pending rows with seq in (from, to] stored before `storedBefore`, in one transaction; returns how many. */
  expireWindow(from: number, to: number, storedBefore: number, prefix: string): number {
    return this.#db.transaction(() => {
      const maxBefore = this.maxSeq();
      const { changes } = prefix === '' ? this.#expire.run(from, to, storedBefore) : this.#expirePrefixed.run(from, to, storedBefore, prefix, prefix);
      if (changes > 0) this.keepHighWater(maxBefore);
      return changes;
    })();
  }

  stats(top: number): SqliteStats {
    const totals = this.#totals.get() as { pending: number; pendingBytes: number };
    return { ...totals, byRecipient: this.#top.all(top) as SqliteStats['byRecipient'] };
  }

  /** Deletes DELIVERED rows delivered at or before `cutoff`, one chunk per transaction; returns how many. */
  pruneDelivered(cutoff: number): number {
    let total = 0;
    for (;;) {
      const changes = this.#db.transaction(() => {
        const maxBefore = this.maxSeq();
        const { changes } = this.#prune.run(cutoff);
        this.keepHighWater(maxBefore);
        return changes;
      })();
      total += changes;
      if (changes < PRUNE_CHUNK) return total;
    }
  }
}
