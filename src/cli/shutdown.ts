/**
 * SIGTERM/SIGINT for serving commands: run the command's own drain once, then exit; a drain that
 * outlives its deadline exits anyway (the contract promises an exit within 10 s). Nothing here
 * depends on stdout or stderr being writable: the deadline is armed before anything is logged,
 * and a log call that fails is ignored.
 */
export interface ShutdownOptions {
  /** Stops accepting, closes clients, flushes. Called once, on the first signal. */
  readonly drain: () => Promise<void>;
  /** Exit after this many ms even if the drain has not finished. */
  readonly deadlineMs: number;
  /** Exit code when the drain fails or misses its deadline. */
  readonly failureExitCode: number;
  readonly logger: { info(fields: object, msg: string): void; error(fields: object, msg: string): void };
}

export function exitOnSignals(options: ShutdownOptions): void {
  let stopping = false;
  const log = (write: () => void): void => {
    try {
      write();
    } catch {
      // Logging must not stop the exit (the logger's writer already drops lines it cannot write).
    }
  };
  const stop = (signal: string): void => {
    if (stopping) return; // a second signal changes nothing: the drain is already running, and its deadline is armed
    stopping = true;
    setTimeout(() => {
      log(() => options.logger.error({ deadlineMs: options.deadlineMs }, 'shutdown took too long; exiting'));
      process.exit(options.failureExitCode);
    }, options.deadlineMs).unref();
    log(() => options.logger.info({ signal }, 'shutting down'));
    let drained: Promise<void>;
    try {
      drained = options.drain();
    } catch (err) {
      drained = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    drained.then(
      () => process.exit(0),
      (err: unknown) => {
        log(() => options.logger.error({ err }, 'shutdown failed'));
        process.exit(options.failureExitCode);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
