/**
 * The PostgreSQL side of `bench --compare --cluster`: a database of its own on the server the user
 * named (created, then dropped at the end, so runs neither read nor grow the user's tables), and
 * the process ids of the server backends that serve it (their CPU is reported beside the nodes').
 */
import pg from 'pg';

export interface BenchDatabase {
  /** URL of the database the nodes use. */
  readonly url: string;
  /** Set when the bench could not create its own database and uses the one given. */
  readonly warning?: string;
  /** Process ids of the server backends connected to the database now (this client's excluded). */
  backendPids(): Promise<number[]>;
  /** Drops the database (when the bench created it) and closes the client; idempotent. */
  close(): Promise<void>;
}

/** Makes `sb_bench_<pid>_<time>` on the server of `url` (falls back to `url` itself when CREATE DATABASE is refused). */
export async function openBenchDatabase(url: string): Promise<BenchDatabase> {
  const name = `sb_bench_${process.pid}_${Date.now().toString(36)}`;
  let created = false;
  let warning: string | undefined;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    created = true;
  } catch (err) {
    warning = `could not create a database of its own (${err instanceof Error ? err.message : String(err)}); the nodes use ${redact(url)} as given`;
  } finally {
    await admin.end();
  }
  const target = new URL(url);
  if (created) target.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: target.toString() });
  await client.connect();
  let closed = false;
  return {
    url: target.toString(),
    ...(warning === undefined ? {} : { warning }),
    backendPids: async () => {
      const r = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      return r.rows.map((row) => row.pid);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await client.end().catch(() => undefined);
      if (!created) return;
      const drop = new pg.Client({ connectionString: url });
      await drop.connect();
      try {
        await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await drop.end();
      }
    },
  };
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
