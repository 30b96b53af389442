/** The Scheduler port on Node's timers. Timers are unref'd: they never hold the process open. */
import type { Scheduler } from '../core/ports.js';

export const timerScheduler: Scheduler = {
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
