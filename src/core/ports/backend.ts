/** Lifecycle shared by every backend. */
/** Lifecycle shared by every backend. */
export interface Backend {
  /** "memory", "sqlite", "redis", … for logs, metrics and /readyz. */
  readonly name: string;
  /** Resolves when the backend is usable. Called once, before any other method. */
  start(): Promise<void>;
  /** Flushes pending work and frees resources. Idempotent. No method is called after it. */
  close(): Promise<void>;
  /** Feeds /readyz: false while disconnected or reconnecting. */
  isReady(): boolean;
}
