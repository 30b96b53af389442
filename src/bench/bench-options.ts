/**
 * The options, hooks and error of one bench run (see run-bench.ts), shared by the CLI, the links
 * and the comparison lab.
 */
import type { BenchLink, LinkSink } from './bench-link.js';
import type { BenchProtocol, Scenario } from './bench-result.js';

/** What to run. Times in the units their names say; see `switchboard bench --help`. */
export interface BenchRunOptions {
  readonly url: string;
  readonly scenario: Scenario;
  readonly protocol: BenchProtocol;
  readonly connections: number;
  readonly intervalMs: number;
  readonly ratePerSec: number;
  readonly payloadChars: number;
  readonly durationSec: number;
  readonly warmupSec: number;
  readonly feature: 'FAST' | 'RELIABLE';
  readonly groupSize: number;
  /** Messages in flight per connection (max and offline scenarios). */
  readonly window: number;
  /** Every MESSAGE carries a reference: MESSAGE_ACCEPTED and MESSAGE_CONFIRMATION are counted (offline: always sent, not counted). */
  readonly references?: boolean;
  readonly concurrency: number;
  readonly appId: string;
  readonly appName: string;
  readonly token: string;
  readonly userOffset: number;
  /** Server process to read memory from in the idle scenario. */
  readonly serverPid?: number;
  /** Server /metrics page to read memory from in the idle scenario. */
  readonly metricsUrl?: string;
  /** Idle scenario: the server's inspector WebSocket URL; memory is read again after a forced full collection there. */
  readonly serverInspect?: string;
  /** Idle scenario: child processes to spread the connections over (0 or absent: auto, see generator-plan.ts). */
  readonly generators?: number;
  /** Addresses the generators connect from, one per process (cycled); empty: 127.0.0.2… for a loopback server. */
  readonly sourceAddresses?: readonly string[];
  /** Address this process's sockets connect from (set per generator process). */
  readonly localAddress?: string;
}

/** A snapshot for the progress line, once a second. */
export interface BenchProgress {
  readonly phase: 'connecting' | 'warmup' | 'running' | 'draining' | 'idle';
  readonly elapsedSec: number;
  readonly connected: number;
  readonly sent: number;
  readonly received: number;
  /** Deliveries in the last second. */
  readonly lastSecondReceived: number;
  /** p99 of the second in progress, ms. */
  readonly lastSecondP99: number;
  /** Event-loop utilisation over the last second, 0..1. */
  readonly elu: number;
  readonly lateSends: number;
}

export interface BenchHooks {
  readonly onProgress?: (progress: BenchProgress) => void;
  /** Called synchronously when the phase changes (e.g. to sample a server's CPU at 'running' and 'draining'). */
  readonly onPhase?: (phase: BenchProgress['phase']) => void;
  /** Makes the connections instead of real sockets (tests, embedding); `--protocol` is then ignored. */
  readonly createLink?: (index: number, sink: LinkSink) => BenchLink;
  /** Longest drain after sending stops, ms. @default 2000 + the worst latency seen (≤ 10000) */
  readonly drainTimeoutMs?: number;
  /** Aborting ends the sending phase early; the run still drains and resolves. */
  readonly signal?: AbortSignal;
}

/** The run could not start (no connection opened, or socket.io-client missing). */
export class BenchError extends Error {
  override readonly name = 'BenchError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (or has aborted). */
export function abortableSleep(signal: AbortSignal | undefined, ms: number): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
