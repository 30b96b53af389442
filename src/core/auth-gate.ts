/**
 * A concurrency limit on credential verification (webhook calls, JWT signature checks): at most
 * `maxRunning` verifications at once; more wait in a queue of at most `maxQueued`, in arrival
 * order; past that, `run` returns undefined and the caller answers `isAuthenticated: false` with a
 * reason, so a reconnect storm queues or is told "later" instead of piling onto the verifier.
 */
export class AuthGate {
  #running = 0;
  readonly #queue: Array<() => void> = [];

  constructor(
    readonly maxRunning: number,
    readonly maxQueued: number,
  ) {}

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Runs `task` now or once a slot frees up; undefined when the queue is full (task not run). */
  run<T>(task: () => Promise<T>): Promise<T> | undefined {
    if (this.#running < this.maxRunning) return this.#start(task);
    if (this.#queue.length >= this.maxQueued) return undefined;
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(() => void this.#start(task).then(resolve, reject));
    });
  }

  #start<T>(task: () => Promise<T>): Promise<T> {
    this.#running++;
    let result: Promise<T>;
    try {
      result = task();
    } catch (err) {
      result = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return result.finally(() => {
      this.#running--;
      this.#queue.shift()?.();
    });
  }
}

/** Verifications running at once per node, and waiting beyond them, when the limits do not say (serve: --max-auth-concurrency, --max-auth-queue). */
export const AUTH_MAX_RUNNING = 64;
export const AUTH_MAX_QUEUED = 10_000;

const gates = new WeakMap<object, AuthGate>();

/** The gate shared by every connection of one hub (keyed by its services object), sized by its limits. */
export function authGateOf(services: { readonly limits: { readonly maxAuthConcurrency?: number; readonly maxAuthQueue?: number } }): AuthGate {
  let gate = gates.get(services);
  if (gate === undefined) gates.set(services, (gate = new AuthGate(services.limits.maxAuthConcurrency ?? AUTH_MAX_RUNNING, services.limits.maxAuthQueue ?? AUTH_MAX_QUEUED)));
  return gate;
}
