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
