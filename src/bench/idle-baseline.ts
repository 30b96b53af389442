/**
 * Whether the idle scenario's baseline was a fresh server. A server that has already run traffic
 * holds heap and buffers it no longer uses; new connections fill that space first, so its RSS
 * grows by far less than they cost and the per-connection figure understates them. Pure.
 */

/** What the idle scenario knows about the server before its connections opened, and the result. */
export interface IdleBaseline {
  /** Resident memory before the connections opened, bytes. */
  readonly rssBeforeBytes: number;
  /** CPU time the server had used before they opened, seconds (known with --server-pid). */
  readonly cpuSecondsBefore?: number;
  /** The figure measured, bytes per connection. */
  readonly bytesPerConnection: number;
}

/**
 * Limits a freshly started `switchboard serve` stays well under (measured on a 2-core machine: about
 * 72 MiB resident and 1.1 s of CPU when it prints its listening line, and about 20 KiB per idle
 * connection).
 */
export const FRESH_SERVER = { maxRssBytes: 150 * 1024 * 1024, maxCpuSeconds: 5, minBytesPerConnection: 4 * 1024 } as const;

/** One warning with the signs that the server was not fresh and how to measure properly, or none. */
export function idleBaselineWarnings(b: IdleBaseline): string[] {
  const signs: string[] = [];
  if (b.cpuSecondsBefore !== undefined && b.cpuSecondsBefore > FRESH_SERVER.maxCpuSeconds) signs.push(`it had already used ${b.cpuSecondsBefore.toFixed(1)} s of CPU`);
  if (b.rssBeforeBytes > FRESH_SERVER.maxRssBytes) signs.push(`it already held ${(b.rssBeforeBytes / 1048576).toFixed(0)} MiB`);
  if (b.bytesPerConnection < FRESH_SERVER.minBytesPerConnection) signs.push(`${(b.bytesPerConnection / 1024).toFixed(1)} KiB per connection is less than a connection costs a fresh server`);
  if (signs.length === 0) return [];
  return [
    `the server does not look freshly started (${signs.join('; ')}): connections reuse memory that earlier work left free, so the figure understates their cost. ` +
      'To measure, restart the server, run the idle scenario first against it, and restart it again before other runs.',
  ];
}
