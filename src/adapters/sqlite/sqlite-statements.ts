// The prepared statements of the SQLite message store, each behind a small typed method.
// No batching or lifecycle here; the store decides when they run.
import type Database from 'better-sqlite3';
import type { EntryParams } from './sqlite-entry-codec.js';

const PENDING = 'recipient = ? AND status < 2';
const NOT_EXCLUDED = 'AND id NOT IN (SELECT value FROM json_each(?))';
const PAGE = 'SELECT kind, id, recipient, sender, content, reference, stored_at FROM entries';
const PRUNE_CHUNK = 5_000;

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
      `DELETE FROM entries WHERE seq IN (SELECT seq FROM entries WHERE status = 2 AND delivered_at <= ? LIMIT ${PRUNE_CHUNK})`,
    );
  }

  /** Runs `fn` in one transaction; rolls back and rethrows if it or the commit fails. */
  transaction(fn: () => void): void {
    this.#db.transaction(fn)();
  }

  insert(params: EntryParams): void {
    this.#insert.run(...params);
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
  pendingPage(recipient: string, limit: number, excludedJson: string | undefined): unknown[] {
    return excludedJson === undefined ? this.#page.all(recipient, limit) : this.#pageExcluding.all(recipient, excludedJson, limit);
  }

  pendingCount(recipient: string, excludedJson: string | undefined): number {
    return (excludedJson === undefined ? this.#count.get(recipient) : this.#countExcluding.get(recipient, excludedJson)) as number;
  }

  /** Deletes DELIVERED rows delivered at or before `cutoff`, one chunk per transaction; returns how many. */
  pruneDelivered(cutoff: number): number {
    let total = 0;
    for (;;) {
      const { changes } = this.#prune.run(cutoff);
      total += changes;
      if (changes < PRUNE_CHUNK) return total;
    }
  }
}
