/** Scheduler, Clock, Logger, Metrics, BackendError: what core needs of its host besides the backends. */
/** Timers, beside the Clock, so core never calls setTimeout itself and tests can drive time. */
export interface Scheduler {
  /** Runs `fn` once after `ms`; returns a function that cancels it. Timers do not keep the process alive. */
  after(ms: number, fn: () => void): () => void;
}


/** Milliseconds since the epoch. */
export type Clock = () => number;

/** Shaped like pino's API so that pino satisfies it directly. */
export interface Logger {
  error(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  debug(fields: object, msg: string): void;
  trace(fields: object, msg: string): void;
  child(fields: object): Logger;
  /** Lets hot paths skip building a per-connection child logger for a level that is off. */
  isLevelEnabled(level: string): boolean;
}

export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
  child: () => silentLogger,
  isLevelEnabled: () => false,
};

/** Domain verbs for metrics; the gateway implements it with prom-client. */
export interface Metrics {
  frameIn(type: string): void;
  frameOut(type: string, feature: string): void;
  messageRouted(type: string, feature: string): void;
  deliveryLatency(ms: number): void;
  backendError(backend: string): void;
  connectionOpened(): void;
  connectionClosed(code: number): void;
  usersOnline(count: number): void;
  protocolError(code: string): void;
  /** A COMMAND ended: `outcome` ok | unknown | bad_request | too_many | failed | timeout; `ms` the handler's time (0 when none ran). */
  commandHandled(name: string, outcome: string, ms: number): void;
  /** A per-user job's turn ended: `outcome` changed | unchanged | failed | fenced | throttled | no_token | backoff. */
  jobRun(job: string, outcome: string): void;
  /** Per-user jobs (and version polls) whose lease this node holds now. */
  jobsRunning(count: number): void;
  /** This node took over a job's or version poll's lease another node held (`kind`: job | version). */
  leaseHandover(kind: string): void;
  /** A connection's socket stopped being read (`reason`: rate | slow_reader; read-throttle.ts). */
  readPaused(reason: string): void;
  /** It is read again (or closed while paused). */
  readResumed(): void;
}

export const noopMetrics: Metrics = {
  frameIn: () => undefined,
  frameOut: () => undefined,
  messageRouted: () => undefined,
  deliveryLatency: () => undefined,
  backendError: () => undefined,
  connectionOpened: () => undefined,
  connectionClosed: () => undefined,
  usersOnline: () => undefined,
  protocolError: () => undefined,
  commandHandled: () => undefined,
  jobRun: () => undefined,
  jobsRunning: () => undefined,
  leaseHandover: () => undefined,
  readPaused: () => undefined,
  readResumed: () => undefined,
};

/** A backend failure, with the driver error as `cause`. Never shown to clients. */
export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(
    readonly backend: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
