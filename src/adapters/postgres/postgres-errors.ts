// How the PostgreSQL store reads a driver error: out of reach (the store turns unready and
// probes) or a refused statement, and its text for a BackendError.

/** Errors that say the server is out of reach, not that a statement was refused. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // SQLSTATE classes 08 (connection), 57P (shutdown, cannot connect now), 53 (out of resources).
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return /^(08|57P|53)/.test(code);
  return true;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A statement PostgreSQL aborted to break a lock cycle (40P01) or a serialization conflict (40001):
 * nothing of it was applied, and running it again is safe. Two nodes appending the same
 * (recipient, id) pairs in different orders (a send re-taken on another node) can meet so.
 */
export function isConflictAbort(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}
