/**
 * SIGTERM/SIGINT for serving commands: run the command's own drain once, then exit; a drain that
 * outlives its deadline exits anyway (the contract promises an exit within 10 s).
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
  const stop = (signal: string): void => {
    if (stopping) return; // a second signal changes nothing: the drain is already running
    stopping = true;
    options.logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      options.logger.error({ deadlineMs: options.deadlineMs }, 'shutdown took too long; exiting');
      process.exit(options.failureExitCode);
    }, options.deadlineMs).unref();
    options.drain().then(
      () => process.exit(0),
      (err: unknown) => {
        options.logger.error({ err }, 'shutdown failed');
        process.exit(options.failureExitCode);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
