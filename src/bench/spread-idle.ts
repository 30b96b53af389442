/**
 * The idle scenario over several generator processes (idle-generator.ts), so that one node can be
 * driven toward its file limit while each generator stays under its own: forks the generators,
 * starts them together, times the connect phase (connections opened and, for Switchboard,
 * authenticated, per second), then reads the server's memory and CPU over the idle period.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { abortableSleep, BenchError, type BenchHooks, type BenchRunOptions } from './bench-options.js';
import type { BenchResult, IdleRun } from './bench-result.js';
import { autoGenerators, planGenerators, sourceAddresses } from './generator-plan.js';
import { idleMemoryOf, sampleIdleMemory } from './idle-memory.js';
import type { FromGenerator, ToGenerator } from './idle-generator.js';
import { LatencyRecorder } from './latency-recorder.js';
import { sampleProcess } from './process-stats.js';

/** Whether `runBench` hands this run to {@link runSpreadIdle}. */
export function spreadsIdle(o: BenchRunOptions, hooks: BenchHooks): boolean {
  return o.scenario === 'idle' && hooks.createLink === undefined && o.protocol !== 'socketio' && autoGenerators(o.connections, o.generators ?? 0) > 0;
}

/** Longest wait for the generators to open their connections (they give up on one after 15 s). */
const OPEN_DEADLINE_MS = 10 * 60_000;

interface Generator {
  readonly child: ChildProcess;
  readonly slice: { readonly connections: number; readonly localAddress?: string };
  connected: number;
  opened?: Extract<FromGenerator, { type: 'opened' }>;
  disconnects: number;
}

export async function runSpreadIdle(o: BenchRunOptions, hooks: BenchHooks): Promise<BenchResult> {
  const count = autoGenerators(o.connections, o.generators ?? 0);
  const slices = planGenerators({ connections: o.connections, generators: count, userOffset: o.userOffset, addresses: sourceAddresses(o.url, count, o.sourceAddresses ?? []) });
  const script = fileURLToPath(new URL('./idle-generator.js', import.meta.url));
  const memoryBefore = await sampleIdleMemory(o);
  const generators: Generator[] = [];
  let phase: 'connecting' | 'idle' = 'connecting';
  const started = performance.now();
  const progress = setInterval(() => {
    const connected = generators.reduce((n, g) => n + (g.opened?.connected ?? g.connected), 0);
    hooks.onProgress?.({ phase, elapsedSec: Math.round((performance.now() - started) / 1000), connected, sent: 0, received: 0, lastSecondReceived: 0, lastSecondP99: 0, elu: 0, lateSends: 0 });
  }, 1_000);
  try {
    await Promise.all(
      slices.map(
        (slice) =>
          new Promise<void>((resolve, reject) => {
            const child = fork(script, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
            const g: Generator = { child, slice, connected: 0, disconnects: 0 };
            generators.push(g);
            child.on('message', (m: FromGenerator) => {
              if (m.type === 'ready') resolve();
              else if (m.type === 'progress') g.connected = m.connected;
              else if (m.type === 'opened') g.opened = m;
              else g.disconnects = m.disconnects;
            });
            child.once('error', reject);
            child.once('exit', (code) => reject(new BenchError(`generator ${slice.index} exited (${code}) before it was ready`)));
          }),
      ),
    );
    const cpuBeforeOpen = o.serverPid === undefined ? undefined : await sampleProcess(o.serverPid).catch(() => undefined);
    const t0 = performance.now();
    generators.forEach((g, k) => {
      const slice = slices[k]!;
      const options: BenchRunOptions = { ...o, connections: slice.connections, userOffset: slice.userOffset, generators: 0, ...(slice.localAddress === undefined ? {} : { localAddress: slice.localAddress }) };
      g.child.send({ type: 'open', options } satisfies ToGenerator);
    });
    while (generators.some((g) => g.opened === undefined) && performance.now() - t0 < OPEN_DEADLINE_MS && hooks.signal?.aborted !== true) {
      if (generators.some((g) => g.opened === undefined && g.child.exitCode !== null)) throw new BenchError('a generator process exited while opening its connections');
      await abortableSleep(hooks.signal, 20);
    }
    const connectMs = Math.max(...generators.map((g) => g.opened?.ms ?? performance.now() - t0));
    const cpuAfterOpen = o.serverPid === undefined ? undefined : await sampleProcess(o.serverPid).catch(() => undefined);
    const connected = generators.reduce((n, g) => n + (g.opened?.connected ?? g.connected), 0);
    const openFailures: Record<string, number> = {};
    for (const g of generators) for (const [kind, n] of Object.entries(g.opened?.failures ?? {})) openFailures[kind] = (openFailures[kind] ?? 0) + n;
    if (connected === 0) throw new BenchError(`no connection could be opened to ${o.url}`, { cause: new Error(Object.keys(openFailures)[0] ?? 'unknown') });

    phase = 'idle';
    hooks.onPhase?.('idle');
    const startedAt = new Date().toISOString();
    const cpuStart = o.serverPid === undefined ? undefined : await sampleProcess(o.serverPid).catch(() => undefined);
    const idleStart = performance.now();
    await abortableSleep(hooks.signal, o.durationSec * 1000);
    const cpuEnd = o.serverPid === undefined ? undefined : await sampleProcess(o.serverPid).catch(() => undefined);
    const idleSec = (performance.now() - idleStart) / 1000;
    const after = await sampleIdleMemory(o);
    await closeAll(generators);
    const disconnects = generators.reduce((n, g) => n + g.disconnects, 0);

    const warnings: string[] = [];
    const idleMemory = after?.source === 'client' ? undefined : idleMemoryOf(memoryBefore, after, connected, (w) => warnings.push(...w));
    if (idleMemory === undefined) {
      warnings.push('could not read the server\'s memory for the idle scenario (give --server-pid or --metrics-url: the generators run in other processes)');
    }
    if (connected < o.connections) warnings.push(`only ${connected} of ${o.connections} connections opened`);
    const idleRun: IdleRun = {
      generators: generators.length,
      sourceAddresses: slices.map((s) => s.localAddress ?? ''),
      connectMs: Math.round(connectMs),
      connectsPerSec: Math.round((connected / connectMs) * 1000),
      ...(cpuBeforeOpen === undefined || cpuAfterOpen === undefined ? {} : { serverCpuUsPerConnect: Math.round(((cpuAfterOpen.cpuSeconds - cpuBeforeOpen.cpuSeconds) / connected) * 1e6) }),
      ...(cpuStart === undefined || cpuEnd === undefined ? {} : { serverCpuPercent: Math.round(((cpuEnd.cpuSeconds - cpuStart.cpuSeconds) / idleSec) * 10_000) / 100 }),
      openFailures,
    };
    const empty = new LatencyRecorder();
    return {
      scenario: 'idle',
      protocol: o.protocol,
      feature: o.feature,
      connections: o.connections,
      connected,
      payloadChars: o.payloadChars,
      durationSec: o.durationSec,
      sent: 0,
      received: 0,
      lost: 0,
      duplicates: 0,
      msgsPerSec: 0,
      latency: empty.summary(),
      errors: {},
      disconnects,
      skippedSends: 0,
      lateSends: 0,
      maxSendLagMs: 0,
      generatorElu: 0,
      warnings,
      timeline: [],
      buckets: [],
      ...(idleMemory === undefined ? {} : { idleMemory }),
      idleRun,
      startedAt,
    };
  } finally {
    clearInterval(progress);
    for (const g of generators) if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL');
  }
}

/** Tells every generator to close its connections and waits for each to exit (at most 10 s). */
async function closeAll(generators: readonly Generator[]): Promise<void> {
  await Promise.all(
    generators.map(
      (g) =>
        new Promise<void>((resolve) => {
          if (g.child.exitCode !== null || g.child.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            g.child.kill('SIGKILL');
            resolve();
          }, 10_000);
          g.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          g.child.send({ type: 'close' } satisfies ToGenerator);
        }),
    ),
  );
}
