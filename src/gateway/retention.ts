/**
 * Retention of undelivered entries (`--message-ttl-ms`, per app `messageTtl`): a periodic sweep
 * that asks the store to expire what has waited too long, counted in
 * `switchboard_messages_expired_total`. Owns its timer; never touches entries itself.
 */
import { Counter, type Registry } from 'prom-client';
import type { Clock, Logger, MessageStore } from '../core/ports.js';

/** The part of a client app retention reads. */
export interface RetentionApp {
  readonly appName: string;
  /** This app's TTL for undelivered entries, ms; 0 keeps them until fetched; absent: the global one. */
  readonly messageTtl?: number | undefined;
}

export interface RetentionOptions {
  /** Global TTL of undelivered entries, ms (0: off). */
  readonly messageTtlMs: number;
  readonly apps: readonly RetentionApp[];
  readonly store: MessageStore;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly clock: Clock;
}

export interface Retention {
  /** How often the sweep runs, ms; undefined when no TTL is set (no timer). */
  readonly everyMs: number | undefined;
  /** One sweep now; resolves how many entries expired (0 if one is already running). */
  sweep(): Promise<number>;
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/** A quarter of the shortest TTL, between 250 ms and one minute: an entry outlives its TTL by at most that. */
export function sweepIntervalMs(ttls: readonly number[]): number | undefined {
  const set = ttls.filter((ttl) => ttl > 0);
  if (set.length === 0) return undefined;
  return Math.min(60_000, Math.max(250, Math.floor(Math.min(...set) / 4)));
}

/** The store.expire calls of one sweep: one global call when every app uses the global TTL, else one per app with a TTL. */
export function expiryPlan(messageTtlMs: number, apps: readonly RetentionApp[]): { readonly ttlMs: number; readonly prefix?: string }[] {
  if (apps.every((app) => app.messageTtl === undefined)) return messageTtlMs > 0 ? [{ ttlMs: messageTtlMs }] : [];
  return apps.map((app) => ({ ttlMs: app.messageTtl ?? messageTtlMs, prefix: `${app.appName}-` })).filter((step) => step.ttlMs > 0);
}

export function startRetention(options: RetentionOptions): Retention {
  const { store, logger, clock } = options;
  const expired = new Counter({
    name: 'switchboard_messages_expired_total',
    help: 'Undelivered entries (RELIABLE messages, confirmations, kept presence) deleted by retention',
    registers: [options.registry],
  });
  const plan = expiryPlan(options.messageTtlMs, options.apps);
  const everyMs = sweepIntervalMs(plan.map((step) => step.ttlMs));
  let running: Promise<number> | undefined;

  async function sweepOnce(): Promise<number> {
    let total = 0;
    const now = clock();
    for (const step of plan) {
      const n = await store.expire(now - step.ttlMs, step.prefix);
      total += n;
      expired.inc(n);
    }
    if (total > 0) logger.info({ expired: total }, 'undelivered entries expired');
    return total;
  }

  function sweep(): Promise<number> {
    if (running !== undefined) return Promise.resolve(0);
    running = sweepOnce()
      .catch((err: unknown) => {
        // The next sweep tries again; the entries stay meanwhile (never lost early).
        logger.warn({ err }, 'retention sweep failed');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  const timer = everyMs === undefined ? undefined : setInterval(() => void sweep(), everyMs);
  timer?.unref();
  return {
    everyMs,
    sweep,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
