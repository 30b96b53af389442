/**
 * One bench run: opens the connections with bounded concurrency, drives the scenario's send
 * pattern, matches every arrival to its send, drains, and returns a {@link BenchResult}.
 * Owns every socket and timer it makes and releases them before it resolves.
 */
import { performance } from 'node:perf_hooks';
import { FrameBuilder } from './bench-codec.js';
import type { BenchLink, LinkSink } from './bench-link.js';
import { generatorWarnings, type BenchProtocol, type BenchResult, type IdleMemory, type Scenario } from './bench-result.js';
import { DeliveryCounts } from './delivery-counts.js';
import { LatencyRecorder } from './latency-recorder.js';
import { fetchMetricsRss, sampleProcess } from './process-stats.js';
import { idleBaselineWarnings } from './idle-baseline.js';
import { computeSchedule, dueCount, type SendSchedule } from './send-schedule.js';
import { SocketIoLink, type SocketIoConnect } from './socketio-link.js';
import { WsLink } from './ws-link.js';

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

/** Sends are "late" when made more than this after their intended time, ms. */
const LATE_MS = 5;
/** A connection with more than this queued is not sent to (the send is counted as skipped). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Most sends made in one timer turn before yielding to the receive path. */
const SEND_BATCH = 2_000;
const OPEN_TIMEOUT_MS = 15_000;
/** How far past the planned end a late generator may keep sending, ms. */
const OVERRUN_MS = 1_000;

/** Runs one bench; resolves with its result, rejects only with {@link BenchError}. */
export async function runBench(options: BenchRunOptions, hooks: BenchHooks = {}): Promise<BenchResult> {
  return new BenchRun(options, hooks).execute();
}

class BenchRun implements LinkSink {
  readonly #o: BenchRunOptions;
  readonly #hooks: BenchHooks;
  readonly #recorder = new LatencyRecorder();
  readonly #counts = new DeliveryCounts();
  readonly #expectedPerMessage: number;
  readonly #windowMode: boolean;
  #links: BenchLink[] = [];
  #connected = 0;
  #phase: BenchProgress['phase'] = 'connecting';

  // Times are ms after #t0 (performance.now()); the header carries µs.
  #t0 = 0;
  #warmupEndMs = 0;
  #endMs = 0;
  #warmupEndUs = 0;
  #sending = false;
  #schedule: SendSchedule | undefined;
  #nextSeq = 0;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #sendingDone: (() => void) | undefined;

  #messagesSent = 0;
  #received = 0;
  #duplicates = 0;
  /** MESSAGE_ACCEPTED and MESSAGE_CONFIRMATION for measured sends, with --references. */
  #acceptedCount = 0;
  #confirmedCount = 0;
  #skipped = 0;
  #late = 0;
  #scheduledMeasured = 0;
  /** The idle scenario's warnings about its baseline (a server that was not fresh). */
  #idleWarnings: string[] = [];
  #maxLagMs = 0;
  #lastSendMs = 0;
  #disconnects = 0;
  readonly #errors: Record<string, number> = {};

  constructor(options: BenchRunOptions, hooks: BenchHooks) {
    this.#o = options;
    this.#hooks = hooks;
    this.#windowMode = options.scenario === 'max' || options.scenario === 'offline';
    this.#expectedPerMessage = options.scenario === 'fanout' ? Math.min(options.groupSize, options.connections) : 1;
  }

  async execute(): Promise<BenchResult> {
    const o = this.#o;
    const progress = this.#startProgress();
    try {
      const memoryBefore = o.scenario === 'idle' ? await this.#sampleMemory() : undefined;
      this.#links = await this.#createLinks();
      await this.#openAll();
      if (this.#connected === 0) throw new BenchError(`no connection could be opened to ${o.url}`, { cause: this.#firstOpenError });

      const startedAt = new Date().toISOString();
      const eluStart = performance.eventLoopUtilization();
      let idleMemory: IdleMemory | undefined;
      if (o.scenario === 'idle') {
        this.#setPhase('idle');
        this.#t0 = performance.now();
        await this.#sleep(o.durationSec * 1000);
        const after = await this.#sampleMemory();
        if (memoryBefore !== undefined && after !== undefined && memoryBefore.source === after.source) {
          idleMemory = {
            source: after.source,
            rssBeforeBytes: memoryBefore.bytes,
            rssAfterBytes: after.bytes,
            bytesPerConnection: Math.round((after.bytes - memoryBefore.bytes) / this.#connected),
          };
          if (after.source !== 'client') {
            const cpu = memoryBefore.cpuSeconds === undefined ? {} : { cpuSecondsBefore: memoryBefore.cpuSeconds };
            this.#idleWarnings = idleBaselineWarnings({ rssBeforeBytes: memoryBefore.bytes, bytesPerConnection: idleMemory.bytesPerConnection, ...cpu });
          }
        }
      } else {
        await this.#sendPhase();
        await this.#drain();
      }
      const elu = performance.eventLoopUtilization(eluStart).utilization;
      return this.#result(startedAt, elu, idleMemory);
    } finally {
      clearInterval(progress);
      this.#stopTimers();
      for (const link of this.#links) link.close();
    }
  }

  // ---- connections ----

  #firstOpenError: unknown;

  async #createLinks(): Promise<BenchLink[]> {
    const o = this.#o;
    const custom = this.#hooks.createLink;
    if (custom !== undefined) return Array.from({ length: o.connections }, (_, i) => custom(i, this));
    const builder = new FrameBuilder(o.payloadChars, o.scenario === 'offline' ? 'RELIABLE' : o.feature);
    const user = (i: number): string => `${o.appName}-${o.userOffset + i}`;
    const target = (i: number): string => (o.scenario === 'offline' ? user(o.connections + i) : user(i));
    const links: BenchLink[] = [];
    if (o.protocol === 'socketio') {
      let connect: SocketIoConnect;
      try {
        connect = (await import('socket.io-client')).io;
      } catch (err) {
        throw new BenchError('--protocol socketio needs the socket.io-client package (a devDependency)', { cause: err });
      }
      const url = toHttpOrigin(o.url);
      for (let i = 0; i < o.connections; i++) links.push(new SocketIoLink({ url, index: i, userId: user(i), to: target(i), builder, sink: this, connect }));
      return links;
    }
    for (let i = 0; i < o.connections; i++) {
      let prefix: string;
      if (o.scenario === 'fanout') {
        const group: string[] = [];
        for (let k = 1; k <= this.#expectedPerMessage; k++) group.push(user((i + k) % o.connections));
        prefix = builder.groupPrefix(group);
      } else {
        prefix = builder.messagePrefix(target(i));
      }
      links.push(
        new WsLink({
          url: o.url,
          index: i,
          ...(o.protocol === 'switchboard' ? { auth: { appId: o.appId, userId: user(i), token: o.token } } : {}),
          prefix,
          builder,
          withReference: o.scenario === 'offline' || o.references === true,
          sink: this,
        }),
      );
    }
    return links;
  }

  async #openAll(): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.#links.length && this.#hooks.signal?.aborted !== true) {
        const link = this.#links[next++]!;
        try {
          await link.open(OPEN_TIMEOUT_MS);
          this.#connected++;
        } catch (err) {
          this.#firstOpenError ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, this.#links.length) }, worker));
  }

  // ---- sending ----

  #sendPhase(): Promise<void> {
    const o = this.#o;
    this.#t0 = performance.now();
    this.#warmupEndMs = o.warmupSec * 1000;
    this.#warmupEndUs = this.#warmupEndMs * 1000;
    this.#endMs = (o.warmupSec + o.durationSec) * 1000;
    this.#setPhase(o.warmupSec > 0 ? 'warmup' : 'running');
    this.#sending = true;
    return new Promise<void>((resolve) => {
      const signal = this.#hooks.signal;
      const onAbort = (): void => this.#finishSending();
      this.#sendingDone = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted === true) {
        this.#finishSending();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.#windowMode) {
        for (const link of this.#links) {
          if (!link.isOpen) continue;
          for (let k = 0; k < o.window; k++) this.#sendNow(link);
        }
        this.#timer = setTimeout(() => this.#finishSending(), this.#endMs);
      } else {
        this.#schedule = computeSchedule({ scenario: o.scenario === 'rate' ? 'rate' : o.scenario === 'fanout' ? 'fanout' : 'seed', connections: o.connections, intervalMs: o.intervalMs, ratePerSec: o.ratePerSec, durationSec: o.durationSec, warmupSec: o.warmupSec });
        this.#tick();
      }
    });
  }

  #setPhase(phase: BenchProgress['phase']): void {
    if (phase === this.#phase) return;
    this.#phase = phase;
    this.#hooks.onPhase?.(phase);
  }

  #finishSending(): void {
    if (!this.#sending) return;
    this.#sending = false;
    this.#setPhase('draining');
    this.#stopTimers();
    this.#sendingDone?.();
  }

  #stopTimers(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  // Walks the fixed schedule: every send due by now goes out, measured from its intended time,
  // so a stall on either side shows up as latency instead of as fewer samples.
  readonly #tick = (): void => {
    this.#timer = undefined;
    this.#immediate = undefined;
    if (!this.#sending) return;
    const schedule = this.#schedule!;
    const now = performance.now() - this.#t0;
    if (this.#phase === 'warmup' && now >= this.#warmupEndMs) this.#setPhase('running');
    const due = dueCount(schedule, now);
    const links = this.#links;
    const n = links.length;
    let budget = SEND_BATCH;
    while (this.#nextSeq < due && budget-- > 0) {
      const seq = this.#nextSeq++;
      const intendedMs = seq * schedule.gapMs;
      const measured = seq >= schedule.warmupCount;
      const link = links[seq % n]!;
      if (measured) this.#scheduledMeasured++;
      if (!link.isOpen || link.bufferedBytes > MAX_BUFFERED_BYTES) {
        if (measured) this.#skipped++;
        continue;
      }
      const lag = now - intendedMs;
      if (measured) {
        if (lag > LATE_MS) this.#late++;
        if (lag > this.#maxLagMs) this.#maxLagMs = lag;
        this.#messagesSent++;
      }
      link.send(seq, Math.round(intendedMs * 1000));
    }
    this.#lastSendMs = now;
    if (this.#nextSeq >= schedule.total) {
      this.#finishSending();
      return;
    }
    // A generator that fell this far behind stops anyway (runs are bounded in time); what it could
    // not send counts as skipped, and the warning says the generator was the limit.
    if (now >= this.#endMs + OVERRUN_MS) {
      const left = schedule.total - Math.max(this.#nextSeq, schedule.warmupCount);
      this.#skipped += left;
      this.#scheduledMeasured += left;
      this.#nextSeq = schedule.total;
      this.#finishSending();
      return;
    }
    if (this.#nextSeq < due) {
      this.#immediate = setImmediate(this.#tick);
    } else {
      const wait = this.#nextSeq * schedule.gapMs - (performance.now() - this.#t0);
      this.#timer = setTimeout(this.#tick, Math.max(1, Math.floor(wait)));
    }
  };

  /** Window mode: sends the link's next message now (the header carries the actual time). */
  #sendNow(link: BenchLink): void {
    const nowMs = performance.now() - this.#t0;
    if (nowMs >= this.#endMs || !link.isOpen) return;
    if (nowMs >= this.#warmupEndMs) {
      if (this.#phase === 'warmup') this.#setPhase('running');
      this.#messagesSent++;
    }
    link.send(this.#nextSeq++, Math.round(nowMs * 1000));
  }

  // ---- receiving (LinkSink) ----

  delivered(link: number, seq: number, sentUs: number): void {
    if (this.#o.scenario === 'offline') return;
    this.#arrived(link, seq, sentUs);
  }

  accepted(link: number, seq: number, sentUs: number): void {
    if (this.#o.scenario !== 'offline') {
      if (sentUs >= this.#warmupEndUs) this.#acceptedCount++;
      return;
    }
    this.#arrived(link, seq, sentUs);
  }

  confirmed(_link: number, _seq: number, sentUs: number): void {
    if (sentUs >= this.#warmupEndUs) this.#confirmedCount++;
  }

  #arrived(link: number, seq: number, sentUs: number): void {
    const nowMs = performance.now() - this.#t0;
    if (this.#windowMode && this.#sending) this.#sendNow(this.#links[link]!);
    if (sentUs < this.#warmupEndUs) return;
    if (this.#counts.increment(seq) > this.#expectedPerMessage) {
      this.#duplicates++;
      return;
    }
    this.#received++;
    this.#recorder.record(nowMs - sentUs / 1000, nowMs - this.#warmupEndMs);
  }

  error(link: number, code: string): void {
    this.#errors[code] = (this.#errors[code] ?? 0) + 1;
    // An error answers one send: in window mode keep the window full.
    if (this.#windowMode && this.#sending) this.#sendNow(this.#links[link]!);
  }

  closed(_link: number, _code: number): void {
    this.#disconnects++;
  }

  // ---- end ----

  /** Waits until every expected delivery arrived, or 2 s plus the worst latency seen (≤ 10 s). */
  async #drain(): Promise<void> {
    const expected = this.#messagesSent * this.#expectedPerMessage;
    const limitMs = this.#hooks.drainTimeoutMs ?? 2_000 + Math.min(8_000, this.#recorder.summary().max);
    const deadline = performance.now() + limitMs;
    // With references, the confirmations (which follow the proof of receipt) are waited for too.
    const confirmations = this.#o.references === true && this.#o.scenario !== 'offline' ? this.#messagesSent : 0;
    while ((this.#received < expected || this.#confirmedCount < confirmations) && performance.now() < deadline) await this.#sleep(20);
  }

  #result(startedAt: string, elu: number, idleMemory: IdleMemory | undefined): BenchResult {
    const o = this.#o;
    const sent = this.#messagesSent * this.#expectedPerMessage;
    const latency = this.#recorder.summary();
    const warnings = generatorWarnings({ elu, scheduled: this.#scheduledMeasured, late: this.#late, skipped: this.#skipped, connected: this.#connected, connections: o.connections });
    if (o.scenario === 'idle' && idleMemory === undefined) warnings.push('could not read memory for the idle scenario');
    warnings.push(...this.#idleWarnings);
    return {
      scenario: o.scenario,
      protocol: o.protocol,
      feature: o.scenario === 'offline' ? 'RELIABLE' : o.feature,
      connections: o.connections,
      connected: this.#connected,
      payloadChars: o.payloadChars,
      durationSec: o.durationSec,
      sent,
      received: this.#received,
      lost: Math.max(0, sent - this.#received),
      duplicates: this.#duplicates,
      // Per second of the measured period, stretched when a late generator sent past its end.
      msgsPerSec: Math.round((this.#received / Math.max(o.durationSec, (this.#lastSendMs - this.#warmupEndMs) / 1000)) * 10) / 10,
      latency,
      errors: { ...this.#errors },
      disconnects: this.#disconnects,
      skippedSends: this.#skipped,
      lateSends: this.#late,
      maxSendLagMs: Math.round(this.#maxLagMs * 10) / 10,
      generatorElu: Math.round(elu * 1000) / 1000,
      warnings,
      timeline: this.#recorder.timeline(),
      buckets: this.#recorder.buckets(),
      ...(idleMemory === undefined ? {} : { idleMemory }),
      ...(o.references === true && o.scenario !== 'offline' ? { accepted: this.#acceptedCount, confirmed: this.#confirmedCount } : {}),
      startedAt,
    };
  }

  async #sampleMemory(): Promise<{ source: IdleMemory['source']; bytes: number; cpuSeconds?: number } | undefined> {
    const o = this.#o;
    try {
      if (o.serverPid !== undefined) {
        const sample = await sampleProcess(o.serverPid);
        return { source: 'server-pid', bytes: sample.rssBytes, cpuSeconds: sample.cpuSeconds };
      }
      if (o.metricsUrl !== undefined) return { source: 'metrics', bytes: await fetchMetricsRss(o.metricsUrl) };
    } catch {
      // Reported as a warning by the caller (no idleMemory in the result).
      return undefined;
    }
    return { source: 'client', bytes: process.memoryUsage().rss };
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#hooks.signal;
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

  #startProgress(): NodeJS.Timeout {
    let lastReceived = 0;
    let lastElu = performance.eventLoopUtilization();
    const started = performance.now();
    return setInterval(() => {
      const elu = performance.eventLoopUtilization(lastElu);
      lastElu = performance.eventLoopUtilization();
      this.#hooks.onProgress?.({
        phase: this.#phase,
        elapsedSec: Math.round((performance.now() - started) / 1000),
        connected: this.#connected,
        sent: this.#messagesSent * this.#expectedPerMessage,
        received: this.#received,
        lastSecondReceived: this.#received - lastReceived,
        lastSecondP99: this.#recorder.currentP99(),
        elu: elu.utilization,
        lateSends: this.#late,
      });
      lastReceived = this.#received;
    }, 1_000);
  }
}

/** ws://host:port/anything → http://host:port (Socket.IO serves its own path). */
export function toHttpOrigin(url: string): string {
  const u = new URL(url);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  return u.origin;
}
