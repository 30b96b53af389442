/**
 * The counters of one bench run (sends, arrivals, errors, generator lag) and the result they make.
 * Plain fields: the run's send and receive paths bump them directly.
 */
import type { BenchRunOptions } from './bench-options.js';
import { generatorWarnings, type BenchResult, type IdleMemory } from './bench-result.js';
import type { LatencyRecorder } from './latency-recorder.js';

/** What the run itself knows when it makes its result. */
export interface RunFacts {
  readonly connected: number;
  readonly expectedPerMessage: number;
  /** End of the warm-up, ms after the start of sending. */
  readonly warmupEndMs: number;
  readonly recorder: LatencyRecorder;
}

export class BenchTally {
  messagesSent = 0;
  received = 0;
  duplicates = 0;
  /** MESSAGE_ACCEPTED and MESSAGE_CONFIRMATION for measured sends, with --references. */
  acceptedCount = 0;
  confirmedCount = 0;
  skipped = 0;
  late = 0;
  scheduledMeasured = 0;
  /** The idle scenario's warnings about its baseline (a server that was not fresh). */
  idleWarnings: string[] = [];
  maxLagMs = 0;
  lastSendMs = 0;
  disconnects = 0;
  readonly errors: Record<string, number> = {};

  result(o: BenchRunOptions, run: RunFacts, startedAt: string, elu: number, idleMemory: IdleMemory | undefined): BenchResult {
    const sent = this.messagesSent * run.expectedPerMessage;
    const latency = run.recorder.summary();
    const warnings = generatorWarnings({ elu, scheduled: this.scheduledMeasured, late: this.late, skipped: this.skipped, connected: run.connected, connections: o.connections });
    if (o.scenario === 'idle' && idleMemory === undefined) warnings.push('could not read memory for the idle scenario');
    warnings.push(...this.idleWarnings);
    return {
      scenario: o.scenario,
      protocol: o.protocol,
      feature: o.scenario === 'offline' ? 'RELIABLE' : o.feature,
      connections: o.connections,
      connected: run.connected,
      payloadChars: o.payloadChars,
      durationSec: o.durationSec,
      sent,
      received: this.received,
      lost: Math.max(0, sent - this.received),
      duplicates: this.duplicates,
      // Per second of the measured period, stretched when a late generator sent past its end.
      msgsPerSec: Math.round((this.received / Math.max(o.durationSec, (this.lastSendMs - run.warmupEndMs) / 1000)) * 10) / 10,
      latency,
      errors: { ...this.errors },
      disconnects: this.disconnects,
      skippedSends: this.skipped,
      lateSends: this.late,
      maxSendLagMs: Math.round(this.maxLagMs * 10) / 10,
      generatorElu: Math.round(elu * 1000) / 1000,
      warnings,
      timeline: run.recorder.timeline(),
      buckets: run.recorder.buckets(),
      ...(idleMemory === undefined ? {} : { idleMemory }),
      ...(o.references === true && o.scenario !== 'offline' ? { accepted: this.acceptedCount, confirmed: this.confirmedCount } : {}),
      startedAt,
    };
  }
}
