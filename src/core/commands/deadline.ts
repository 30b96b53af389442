/** Runs async work under a deadline on the Scheduler port: past it, the work's signal aborts and the result rejects. */
import type { Scheduler } from '../ports.js';

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/**
 * Calls `work` with a signal that aborts after `ms` (or when `outer` aborts); rejects with a
 * DeadlineError at the deadline even if `work` ignores its signal. Never leaves a timer behind.
 */
export function withDeadline<T>(scheduler: Scheduler, ms: number, work: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
  const controller = new AbortController();
  const onOuter = (): void => controller.abort();
  outer?.addEventListener('abort', onOuter, { once: true });
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
      outer?.removeEventListener('abort', onOuter);
      return true;
    };
    let running: Promise<T>;
    try {
      running = work(controller.signal);
    } catch (err) {
      running = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    running.then(
      (value) => {
        if (finish()) resolve(value);
      },
      (err: unknown) => {
        if (finish()) reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
