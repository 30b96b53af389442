/**
 * One bench run: opens the connections with bounded concurrency, drives the scenario's send
 * pattern, matches every arrival to its send, drains, and returns a {@link BenchResult}.
 * Owns every socket and timer it makes and releases them before it resolves.
 */
import { performance } from 'node:perf_hooks';
import type { BenchLink, LinkSink } from './bench-link.js';
import { createBenchLinks, openLinks } from './bench-links.js';
import { abortableSleep, BenchError, type BenchHooks, type BenchProgress, type BenchRunOptions } from './bench-options.js';
import type { BenchResult, IdleMemory } from './bench-result.js';
import { BenchTally } from './bench-tally.js';
import { DeliveryCounts } from './delivery-counts.js';
import { LatencyRecorder } from './latency-recorder.js';
import { idleMemoryAfter, sampleIdleMemory } from './idle-memory.js';
import { computeSchedule, dueCount, type SendSchedule } from './send-schedule.js';
import { runSpreadIdle, spreadsIdle } from './spread-idle.js';

export { BenchError, type BenchHooks, type BenchProgress, type BenchRunOptions } from './bench-options.js';
export { toHttpOrigin } from './bench-links.js';

/** Sends are "late" when made more than this after their intended time, ms. */
const LATE_MS = 5;
/** A connection with more than this queued is not sent to (the send is counted as skipped). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Most sends made in one timer turn before yielding to the receive path. */
const SEND_BATCH = 2_000;
/** How far past the planned end a late generator may keep sending, ms. */
const OVERRUN_MS = 1_000;

/** Runs one bench; resolves with its result, rejects only with {@link BenchError}. */
export async function runBench(options: BenchRunOptions, hooks: BenchHooks = {}): Promise<BenchResult> {
  // The idle scenario past one process's share runs in generator processes (spread-idle.ts).
  if (spreadsIdle(options, hooks)) return runSpreadIdle(options, hooks);
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

  readonly #t = new BenchTally();

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
      const memoryBefore = o.scenario === 'idle' ? await sampleIdleMemory(o) : undefined;
      this.#links = await createBenchLinks(o, this.#hooks, this, this.#expectedPerMessage);
      const firstOpenError = await openLinks(this.#links, o.concurrency, this.#hooks.signal, () => this.#connected++);
      if (this.#connected === 0) throw new BenchError(`no connection could be opened to ${o.url}`, { cause: firstOpenError });

      const startedAt = new Date().toISOString();
      const eluStart = performance.eventLoopUtilization();
      let idleMemory: IdleMemory | undefined;
      if (o.scenario === 'idle') {
        this.#setPhase('idle');
        this.#t0 = performance.now();
        await abortableSleep(this.#hooks.signal, o.durationSec * 1000);
        idleMemory = await idleMemoryAfter(o, memoryBefore, this.#connected, (warnings) => (this.#t.idleWarnings = warnings));
      } else {
        await this.#sendPhase();
        await this.#drain();
      }
      const elu = performance.eventLoopUtilization(eluStart).utilization;
      return this.#t.result(this.#o, { connected: this.#connected, expectedPerMessage: this.#expectedPerMessage, warmupEndMs: this.#warmupEndMs, recorder: this.#recorder }, startedAt, elu, idleMemory);
    } finally {
      clearInterval(progress);
      this.#stopTimers();
      for (const link of this.#links) link.close();
    }
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
      if (measured) this.#t.scheduledMeasured++;
      if (!link.isOpen || link.bufferedBytes > MAX_BUFFERED_BYTES) {
        if (measured) this.#t.skipped++;
        continue;
      }
      const lag = now - intendedMs;
      if (measured) {
        if (lag > LATE_MS) this.#t.late++;
        if (lag > this.#t.maxLagMs) this.#t.maxLagMs = lag;
        this.#t.messagesSent++;
      }
      link.send(seq, Math.round(intendedMs * 1000));
    }
    this.#t.lastSendMs = now;
    if (this.#nextSeq >= schedule.total) {
      this.#finishSending();
      return;
    }
    // A generator that fell this far behind stops anyway (runs are bounded in time); what it could
    // not send counts as skipped, and the warning says the generator was the limit.
    if (now >= this.#endMs + OVERRUN_MS) {
      const left = schedule.total - Math.max(this.#nextSeq, schedule.warmupCount);
      this.#t.skipped += left;
      this.#t.scheduledMeasured += left;
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
      this.#t.messagesSent++;
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
      if (sentUs >= this.#warmupEndUs) this.#t.acceptedCount++;
      return;
    }
    this.#arrived(link, seq, sentUs);
  }

  confirmed(_link: number, _seq: number, sentUs: number): void {
    if (sentUs >= this.#warmupEndUs) this.#t.confirmedCount++;
  }

  #arrived(link: number, seq: number, sentUs: number): void {
    const nowMs = performance.now() - this.#t0;
    if (this.#windowMode && this.#sending) this.#sendNow(this.#links[link]!);
    if (sentUs < this.#warmupEndUs) return;
    if (this.#counts.increment(seq) > this.#expectedPerMessage) {
      this.#t.duplicates++;
      return;
    }
    this.#t.received++;
    this.#recorder.record(nowMs - sentUs / 1000, nowMs - this.#warmupEndMs);
  }

  error(link: number, code: string): void {
    this.#t.errors[code] = (this.#t.errors[code] ?? 0) + 1;
    // An error answers one send: in window mode keep the window full.
    if (this.#windowMode && this.#sending) this.#sendNow(this.#links[link]!);
  }

  closed(_link: number, _code: number): void {
    this.#t.disconnects++;
  }

  // ---- end ----

  /** Waits until every expected delivery arrived, or 2 s plus the worst latency seen (≤ 10 s). */
  async #drain(): Promise<void> {
    const expected = this.#t.messagesSent * this.#expectedPerMessage;
    const limitMs = this.#hooks.drainTimeoutMs ?? 2_000 + Math.min(8_000, this.#recorder.summary().max);
    const deadline = performance.now() + limitMs;
    // With references, the confirmations (which follow the proof of receipt) are waited for too.
    const confirmations = this.#o.references === true && this.#o.scenario !== 'offline' ? this.#t.messagesSent : 0;
    while ((this.#t.received < expected || this.#t.confirmedCount < confirmations) && performance.now() < deadline) await abortableSleep(this.#hooks.signal, 20);
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
        sent: this.#t.messagesSent * this.#expectedPerMessage,
        received: this.#t.received,
        lastSecondReceived: this.#t.received - lastReceived,
        lastSecondP99: this.#recorder.currentP99(),
        elu: elu.utilization,
        lateSends: this.#t.late,
      });
      lastReceived = this.#t.received;
    }, 1_000);
  }
}
