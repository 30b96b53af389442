/**
 * The send schedule, fixed before the run starts: global message number → intended send time and
 * connection. Pure arithmetic; the runner owns the timer that walks it.
 */

/** A schedule of evenly spaced sends spread round-robin over the connections. */
export interface SendSchedule {
  /** Milliseconds between two consecutive sends of the whole generator (not of one connection). */
  readonly gapMs: number;
  /** Number of connections the sends are spread over. */
  readonly connections: number;
  /** Total number of scheduled sends over warm-up plus measurement. */
  readonly total: number;
  /** Sends whose number is below this are warm-up: sent but not measured. */
  readonly warmupCount: number;
}

/** Inputs of {@link computeSchedule}. */
export interface ScheduleInput {
  readonly scenario: 'seed' | 'rate' | 'fanout';
  readonly connections: number;
  /** Per-connection send interval, ms (seed and fanout). */
  readonly intervalMs: number;
  /** Total messages per second (rate). */
  readonly ratePerSec: number;
  /** Measured seconds. */
  readonly durationSec: number;
  /** Warm-up seconds before measurement. */
  readonly warmupSec: number;
}

/**
 * Seed and fanout: every connection sends every `intervalMs`, and the connections are phased
 * evenly inside one interval (connection i starts at i·interval/N) so the load is smooth rather
 * than N sends at once. Rate: `ratePerSec` sends per second in total, round-robin over the
 * connections. Either way send number g is due at `g · gapMs` after the start.
 */
export function computeSchedule(input: ScheduleInput): SendSchedule {
  const gapMs = input.scenario === 'rate' ? 1000 / input.ratePerSec : input.intervalMs / input.connections;
  // Every send whose intended time falls inside the period counts: ceil, not floor, so that an
  // interval longer than the run still sends once per connection. The epsilon absorbs float error.
  const within = (ms: number): number => Math.max(0, Math.ceil(ms / gapMs - 1e-9));
  const warmupCount = within(input.warmupSec * 1000);
  const total = within((input.warmupSec + input.durationSec) * 1000);
  return { gapMs, connections: input.connections, total, warmupCount };
}

/** Intended send time of send number `g`, ms after the schedule's start. */
export function intendedAtMs(schedule: SendSchedule, g: number): number {
  return g * schedule.gapMs;
}

/** The connection that makes send number `g` (round-robin). */
export function connectionOf(schedule: SendSchedule, g: number): number {
  return g % schedule.connections;
}

/**
 * How many sends are due by `elapsedMs` after the start (all numbers below the result), capped at
 * the schedule's total.
 */
export function dueCount(schedule: SendSchedule, elapsedMs: number): number {
  if (elapsedMs < 0) return 0;
  return Math.min(schedule.total, Math.floor(elapsedMs / schedule.gapMs) + 1);
}
