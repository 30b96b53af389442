/** Runs async work under a deadline on the Scheduler port: past it, the work's signal aborts and the result rejects. */
import type { Scheduler } from '../ports.js';

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** The calls under way, so that a stop can abort them all (one set, not a listener per call on a shared signal). */
export class RunningCalls {
  readonly #controllers = new Set<AbortController>();
  #stopped = false;

  add(controller: AbortController): void {
    if (this.#stopped) controller.abort();
    else this.#controllers.add(controller);
  }

  delete(controller: AbortController): void {
    this.#controllers.delete(controller);
  }

  /** Aborts every call under way and every later one. */
  abortAll(): void {
    this.#stopped = true;
    for (const c of this.#controllers) c.abort();
    this.#controllers.clear();
  }
}

/**
 * Calls `work` with a signal that aborts after `ms` (or when `running` aborts all); rejects with a
 * DeadlineError at the deadline even if `work` ignores its signal. Never leaves a timer behind.
 */
export function withDeadline<T>(scheduler: Scheduler, ms: number, work: (signal: AbortSignal) => Promise<T>, running?: RunningCalls): Promise<T> {
  const controller = new AbortController();
  running?.add(controller);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const cancel = scheduler.after(ms, () => {
      if (settled) return;
      settled = true;
      controller.abort();
      reject(new DeadlineError(`no answer within ${ms} ms`));
    });
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      cancel();
      running?.delete(controller);
      return true;
    };
    let result: Promise<T>;
    try {
      result = work(controller.signal);
    } catch (err) {
      result = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    result.then(
      (value) => {
        if (finish()) resolve(value);
      },
      (err: unknown) => {
        if (finish()) reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
