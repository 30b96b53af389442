/**
 * How a bench spreads its connections over generator processes and source addresses: a process
 * may hold only as many sockets as its file limit allows, and one source address only as many
 * connections to one server port as there are ephemeral ports, so a run that drives a node toward
 * its limit splits its users into contiguous slices, one per child process, each connecting from
 * its own loopback address when the server is on loopback. Pure.
 */

/** Connections one generator process opens when the count of processes is left to the bench. */
export const CONNECTIONS_PER_GENERATOR = 9_000;

/** One generator process's share of the run. */
export interface GeneratorSlice {
  readonly index: number;
  /** First user number of the slice (users are <appName>-<userOffset+i>). */
  readonly userOffset: number;
  readonly connections: number;
  /** Address its sockets connect from; absent: the system's choice. */
  readonly localAddress?: string;
}

/**
 * Processes for `connections` when `--generators` is 0 (auto): none (the bench's own process)
 * up to {@link CONNECTIONS_PER_GENERATOR}, else one per that many.
 */
export function autoGenerators(connections: number, requested: number): number {
  if (requested > 0) return requested;
  return connections <= CONNECTIONS_PER_GENERATOR ? 0 : Math.ceil(connections / CONNECTIONS_PER_GENERATOR);
}

/** Whether a ws:// URL's host is a loopback address (localhost, 127.x.y.z, ::1). */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Source addresses for `generators` processes: the given list (cycled when shorter), or, with
 * none given and an IPv4 loopback server, 127.0.0.2, 127.0.0.3, … (one each, up to 127.0.0.254);
 * otherwise none (the system picks).
 */
export function sourceAddresses(url: string, generators: number, given: readonly string[]): readonly (string | undefined)[] {
  if (given.length > 0) return Array.from({ length: generators }, (_, k) => given[k % given.length]);
  const host = new URL(url).hostname;
  if (!isLoopbackUrl(url) || host === '[::1]' || host === '::1') return Array.from({ length: generators }, () => undefined);
  return Array.from({ length: generators }, (_, k) => `127.0.0.${2 + (k % 253)}`);
}

/** Splits `connections` users from `userOffset` into `generators` contiguous slices, sizes differing by at most one. */
export function planGenerators(input: { connections: number; generators: number; userOffset: number; addresses: readonly (string | undefined)[] }): GeneratorSlice[] {
  const { connections, userOffset, addresses } = input;
  const generators = Math.max(1, Math.min(input.generators, connections));
  const base = Math.floor(connections / generators);
  const extra = connections % generators;
  const slices: GeneratorSlice[] = [];
  let offset = userOffset;
  for (let k = 0; k < generators; k++) {
    const count = base + (k < extra ? 1 : 0);
    const localAddress = addresses[k];
    slices.push({ index: k, userOffset: offset, connections: count, ...(localAddress === undefined ? {} : { localAddress }) });
    offset += count;
  }
  return slices;
}
