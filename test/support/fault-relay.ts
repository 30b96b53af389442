/**
 * FaultRelay: a TCP relay for tests that breaks connections the way networks do. It forwards
 * bytes between a client and a target (a gateway) and, per connection, can
 * - cut it some time after it opened: with a reset (RST both ways), or by silencing it first
 *   (bytes in both directions swallowed, nothing closed: a dead Wi-Fi) and resetting it later;
 * - delay every chunk by a fixed latency (order kept);
 * - drop new connections (reset as soon as they are accepted).
 * Everything it does is counted in `stats`. Random choices come from a seeded generator, so a
 * failing run can be replayed. Reusable by any suite; documented in docs/client.md.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mulberry32 } from './seeded-random.js';

export interface FaultRelayOptions {
  /** Where connections are relayed to. */
  readonly targetPort: number;
  readonly targetHost?: string;
  /** Cut each connection a random time in [min, max] ms after it opened; absent: never. */
  readonly cutAfterMs?: { readonly min: number; readonly max: number } | undefined;
  /** Share of cuts that silence first (the rest reset at once). @default 0.5 */
  readonly silenceRatio?: number;
  /** How long a silenced connection stays silent before its reset, ms [min, max]. @default 300–900 */
  readonly silenceMs?: { readonly min: number; readonly max: number };
  /** Latency added to every chunk, both ways, ms. @default 0 */
  readonly delayMs?: number;
  /** Share of new connections reset at once. @default 0 */
  readonly refuseRatio?: number;
  /** @default 1 */
  readonly seed?: number;
}

export interface FaultRelayStats {
  connections: number;
  resets: number;
  silenced: number;
  refused: number;
}

export interface FaultRelay {
  readonly port: number;
  /** `ws://127.0.0.1:<port><path>`. */
  url(path?: string): string;
  readonly stats: FaultRelayStats;
  /** Changes the options for connections from now on (a new `targetPort`: a client's next connection lands on another node). */
  configure(options: Partial<FaultRelayOptions>): void;
  /** Cuts every open connection now: `reset`, or `silence` (then reset after silenceMs). */
  cutAll(mode: 'reset' | 'silence'): void;
  /** Resets every connection and stops listening. */
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly target: Socket;
  silent: boolean;
  timers: ReturnType<typeof setTimeout>[];
}

export async function startFaultRelay(initial: FaultRelayOptions): Promise<FaultRelay> {
  let options: FaultRelayOptions = initial;
  const random = mulberry32(initial.seed ?? 1);
  const between = (r: { min: number; max: number }): number => r.min + random() * (r.max - r.min);
  const stats: FaultRelayStats = { connections: 0, resets: 0, silenced: 0, refused: 0 };
  const pairs = new Set<Pair>();

  const reset = (pair: Pair): void => {
    if (!pairs.delete(pair)) return;
    for (const t of pair.timers) clearTimeout(t);
    stats.resets++;
    pair.client.resetAndDestroy();
    pair.target.resetAndDestroy();
  };
  const silence = (pair: Pair): void => {
    if (!pairs.has(pair) || pair.silent) return;
    pair.silent = true;
    stats.silenced++;
    pair.timers.push(setTimeout(() => reset(pair), between(options.silenceMs ?? { min: 300, max: 900 })));
  };
  const cut = (pair: Pair, mode: 'reset' | 'silence'): void => (mode === 'reset' ? reset(pair) : silence(pair));

  const forward = (pair: Pair, from: Socket, to: Socket): void => {
    from.on('data', (chunk: Buffer) => {
      if (pair.silent) return;
      const delay = options.delayMs ?? 0;
      if (delay <= 0) to.write(chunk);
      else pair.timers.push(setTimeout(() => !pair.silent && to.writable && to.write(chunk), delay));
    });
    from.on('error', () => reset(pair));
    from.on('close', () => {
      if (!pairs.delete(pair)) return;
      for (const t of pair.timers) clearTimeout(t);
      // An orderly end on one side ends the other after what is in flight (delayed chunks included).
      setTimeout(() => to.end(), options.delayMs ?? 0);
    });
  };

  const server: Server = createServer((client) => {
    client.on('error', () => undefined);
    if (random() < (options.refuseRatio ?? 0)) {
      stats.refused++;
      client.resetAndDestroy();
      return;
    }
    stats.connections++;
    const target = connect(options.targetPort, options.targetHost ?? '127.0.0.1');
    target.on('error', () => undefined);
    client.setNoDelay(true);
    target.setNoDelay(true);
    const pair: Pair = { client, target, silent: false, timers: [] };
    pairs.add(pair);
    forward(pair, client, target);
    forward(pair, target, client);
    if (options.cutAfterMs !== undefined) {
      const mode = random() < (options.silenceRatio ?? 0.5) ? 'silence' : 'reset';
      pair.timers.push(setTimeout(() => cut(pair, mode), between(options.cutAfterMs)));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    url: (path = '/ws') => `ws://127.0.0.1:${port}${path}`,
    stats,
    configure(next) {
      options = { ...options, ...next };
    },
    cutAll(mode) {
      for (const pair of [...pairs]) cut(pair, mode);
    },
    async close() {
      for (const pair of [...pairs]) reset(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
