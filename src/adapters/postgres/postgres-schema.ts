// Schema and SQL of the PostgreSQL message store: the ordered migrations, the migration runner
// (under an advisory lock, so nodes that start at once do not race), and every statement text.
import type { PoolClient } from 'pg';

/** A schema or table name: used unquoted-safe inside double quotes, so kept to a plain identifier. */
export const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;

/**
 * Migration n (0-based) takes the store from version n to n + 1. Append only.
 * `seq` (bigserial) is the position: a sequence never hands a value out twice, so positions only
 * grow. Statuses: 0 NONE, 1 SENT, 2 DELIVERED. Kinds: 0 message, 1 confirmation, 2 presence.
 */
export function migrations(t: string, name: string): readonly string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (
       seq          bigserial PRIMARY KEY,
       recipient    text     NOT NULL,
       id           text     NOT NULL,
       kind         smallint NOT NULL,
       sender       text,
       content      bytea,
       reference    bytea,
       stored_at    bigint   NOT NULL,
       status       smallint NOT NULL DEFAULT 0,
       delivered_at bigint
     );
     CREATE UNIQUE INDEX IF NOT EXISTS "${name}_by_id" ON ${t} (recipient, id);
     CREATE INDEX IF NOT EXISTS "${name}_pending" ON ${t} (recipient, seq) WHERE status < 2;
     CREATE INDEX IF NOT EXISTS "${name}_delivered" ON ${t} (delivered_at) WHERE status = 2;
     CREATE INDEX IF NOT EXISTS "${name}_presence" ON ${t} (recipient, sender) WHERE kind = 2 AND status < 2;
     CREATE INDEX IF NOT EXISTS "${name}_expiry" ON ${t} (stored_at) WHERE status < 2;`,
  ];
}

/**
 * Creates the schema and applies missing migrations, holding an advisory lock named after the
 * schema: nodes (or stores of other tables in the schema) that start at once take turns, and
 * each finds the work done by the one before it.
 */
export async function migrate(client: PoolClient, schema: string, table: string): Promise<void> {
  const t = `"${schema}"."${table}"`;
  const lock = `switchboard:${schema}`;
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS "${schema}"."${table}_schema" (version integer NOT NULL)`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM "${schema}"."${table}_schema"`);
    const current = rows[0]?.version ?? 0;
    const all = migrations(t, table);
    if (current > all.length) throw new Error(`schema version ${current} of ${t} is newer than this build knows (${all.length})`);
    if (current === all.length) return;
    await client.query('BEGIN');
    try {
      for (let version = current; version < all.length; version++) await client.query(all[version]!);
      await client.query(`DELETE FROM "${schema}"."${table}_schema"`);
      await client.query(`INSERT INTO "${schema}"."${table}_schema" (version) VALUES ($1)`, [all.length]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]);
  }
}

/** The rows of a batch (see InsertParams): contents and references are slices of one bytea parameter each. */
const UNNEST = `(SELECT r, i, k, s, a, ord,
      CASE WHEN cl < 0 THEN NULL ELSE substring($10::bytea FROM co + 1 FOR cl) END AS c,
      CASE WHEN fl < 0 THEN NULL ELSE substring($11::bytea FROM fo + 1 FOR fl) END AS f
    FROM unnest($1::text[], $2::text[], $3::int2[], $4::text[], $5::int4[], $6::int4[], $7::int4[], $8::int4[], $9::int8[])
      WITH ORDINALITY AS v(r, i, k, s, co, cl, fo, fl, a, ord)) AS u`;
const COLUMNS = '(recipient, id, kind, sender, content, reference, stored_at)';

/** Every statement of the store, for one table. */
export function statements(t: string) {
  return {
    /** One round trip per batch: every row of the batch in one INSERT (ordered, so `seq` follows append order). */
    insert: `INSERT INTO ${t} ${COLUMNS} SELECT r, i, k, s, c, f, a FROM ${UNNEST} ORDER BY ord ON CONFLICT (recipient, id) DO NOTHING`,
    /**
     * The same, for a batch with presence entries: a presence row followed in the batch by a new
     * one of the same (recipient, user) is not inserted, and the pending presence rows that an
     * inserted one replaces are deleted — all in one statement (the DELETE sees the table as it
     * was before the INSERT, i.e. exactly the older rows).
     */
    insertCoalescing: `WITH u AS (SELECT * FROM ${UNNEST}),
      ins AS (
        INSERT INTO ${t} ${COLUMNS}
        SELECT r, i, k, s, c, f, a FROM u
        WHERE k <> 2 OR NOT EXISTS (
          SELECT 1 FROM u AS later WHERE later.k = 2 AND later.r = u.r AND later.s = u.s AND later.ord > u.ord
            AND NOT EXISTS (SELECT 1 FROM ${t} AS e WHERE e.recipient = later.r AND e.id = later.i))
        ORDER BY ord
        ON CONFLICT (recipient, id) DO NOTHING
        RETURNING seq, recipient, sender, kind)
      DELETE FROM ${t} AS e USING (SELECT recipient, sender, max(seq) AS seq FROM ins WHERE kind = 2 GROUP BY recipient, sender) AS newest
      WHERE e.recipient = newest.recipient AND e.sender = newest.sender AND e.kind = 2 AND e.status < 2 AND e.seq < newest.seq`,
    /** A page and the count of everything matching (so `remaining` is from the same snapshot), in one round trip. */
    pending: `SELECT c.total, p.* FROM
        (SELECT count(*) AS total FROM ${t} WHERE recipient = $1 AND status < 2 AND seq > $2 AND NOT (id = ANY($3::text[]))) AS c
        LEFT JOIN LATERAL (
          SELECT seq, kind, id, recipient, sender, content, reference, stored_at FROM ${t}
          WHERE recipient = $1 AND status < 2 AND seq > $2 AND NOT (id = ANY($3::text[])) ORDER BY seq LIMIT $4) AS p ON true`,
    markSent: `UPDATE ${t} SET status = 1 WHERE recipient = $1 AND id = ANY($2::text[]) AND status = 0`,
    markDelivered: `UPDATE ${t} SET status = 2, delivered_at = $3 WHERE recipient = $1 AND id = ANY($2::text[]) AND status < 2`,
    status: `SELECT status FROM ${t} WHERE recipient = $1 AND id = $2`,
    /** Chunked (LIMIT) so that one statement never holds many row locks for long. */
    expire: `DELETE FROM ${t} WHERE seq IN (SELECT seq FROM ${t} WHERE status < 2 AND stored_at < $1 AND left(recipient, length($2)) = $2 LIMIT $3)`,
    prune: `DELETE FROM ${t} WHERE seq IN (SELECT seq FROM ${t} WHERE status = 2 AND delivered_at <= $1 LIMIT $2)`,
    totals: `SELECT count(*) AS pending, coalesce(sum(length(content)) FILTER (WHERE kind IN (0, 4)), 0) AS bytes FROM ${t} WHERE status < 2`,
    top: `SELECT recipient, count(*) AS pending, min(stored_at) AS oldest FROM ${t} WHERE status < 2
          GROUP BY recipient ORDER BY count(*) DESC, recipient COLLATE "C" LIMIT $1`,
    ping: 'SELECT 1',
  };
}
export type Statements = ReturnType<typeof statements>;
