// Connections to one Redis or a Redis Cluster for the Redis adapters: parses the URL list,
// builds ioredis clients with bounded retries and timeouts, and runs Lua scripts by SHA.
import { createHash } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { BackendError } from '../../core/ports.js';

/** A command client: one Redis, or a Redis Cluster (routing each command by its key's slot). */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** One URL (`redis://host:port`) of a single Redis, or the seed node URLs of a Redis Cluster. */
  readonly urls: string | readonly string[];
  /**
   * Treat the URLs as seeds of a Redis Cluster.
   * @default true when more than one URL is given
   */
  readonly cluster?: boolean;
  /**
   * A command that has no answer after this long fails (a frozen Redis never blocks a caller longer).
   * @default 2000
   */
  readonly commandTimeoutMs?: number;
  /**
   * Longest pause between reconnect attempts (backoff doubles from 50 ms up to it, with jitter).
   * @default 2000
   */
  readonly maxRetryDelayMs?: number;
  /** Name shown by CLIENT LIST, for operators. @default "switchboard" */
  readonly connectionName?: string;
  /**
   * ioredis auto-pipelining: commands issued in one tick leave in one write (Redis reads them with
   * one system call; less Redis CPU per publish at high rates, a little more in the node).
   * @default false
   */
  readonly autoPipelining?: boolean;
}

/** The options resolved: URL list, mode and the ioredis settings the adapters share. */
export interface RedisTarget {
  readonly urls: readonly string[];
  readonly cluster: boolean;
  readonly commandTimeoutMs: number;
  readonly maxRetryDelayMs: number;
  readonly connectionName: string;
  readonly autoPipelining: boolean;
}

export function resolveTarget(options: RedisConnectionOptions): RedisTarget {
  const urls = typeof options.urls === 'string' ? options.urls.split(',').map((u) => u.trim()).filter((u) => u !== '') : [...options.urls];
  if (urls.length === 0) throw new TypeError('redis: at least one URL is required');
  for (const url of urls) {
    const parsed = new URL(url);
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new TypeError(`redis: not a redis:// URL: ${url}`);
  }
  const commandTimeoutMs = options.commandTimeoutMs ?? 2_000;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 2_000;
  if (!(commandTimeoutMs > 0) || !(maxRetryDelayMs > 0)) throw new RangeError('redis: commandTimeoutMs and maxRetryDelayMs must be positive');
  return { urls, cluster: options.cluster ?? urls.length > 1, commandTimeoutMs, maxRetryDelayMs, connectionName: options.connectionName ?? 'switchboard', autoPipelining: options.autoPipelining ?? false };
}

/** Exponential backoff with jitter: 50 ms, 100 ms, … up to the maximum. */
export function retryDelay(attempt: number, maxMs: number): number {
  const base = Math.min(maxMs, 50 * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.75 + Math.random() * 0.25));
}

/** ioredis options shared by every connection: no offline queue (fail at once while down), no silent retries of sent commands. */
export function redisOptions(target: RedisTarget, role: string): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    // A command in flight when the link drops fails instead of being sent again: a script that
    // already ran must not run twice (its first/last answer would be lost).
    maxRetriesPerRequest: 0,
    commandTimeout: target.commandTimeoutMs,
    connectTimeout: Math.max(target.commandTimeoutMs, 1_000),
    connectionName: `${target.connectionName}-${role}`,
    enableAutoPipelining: target.autoPipelining && !role.endsWith('-sub'),
    retryStrategy: (attempt: number) => retryDelay(attempt, target.maxRetryDelayMs),
  };
}

/** Builds (does not connect) the command client for the target. */
export function createCommandClient(target: RedisTarget, role: string): RedisClient {
  const options = redisOptions(target, role);
  const first = target.urls[0] as string;
  if (!target.cluster) return new Redis(first, options);
  const seeds = target.urls.map((url) => {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: Number(parsed.port || 6379) };
  });
  const { password, username } = new URL(first);
  const clusterOptions: ClusterOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    scaleReads: 'master',
    enableAutoPipelining: target.autoPipelining,
    clusterRetryStrategy: (attempt: number) => retryDelay(attempt, target.maxRetryDelayMs),
    redisOptions: {
      ...options,
      ...(password !== '' ? { password: decodeURIComponent(password) } : {}),
      ...(username !== '' ? { username: decodeURIComponent(username) } : {}),
    },
  };
  return new Cluster(seeds, clusterOptions);
}

/** A Lua script run with EVALSHA, falling back to EVAL once per connection that does not know it yet. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

/** True when the client has a working connection (a cluster: its slot map is loaded and connected). */
export function isClientReady(client: RedisClient): boolean {
  return client.status === 'ready';
}

/**
 * Connects a lazily built client; resolves once ready. A cluster client also opens its link to
 * every master now: ioredis opens them on first use, and commands sent while one is still
 * connecting can overtake each other (publish order would break).
 */
export async function connectClient(client: RedisClient): Promise<void> {
  if (client.status === 'wait') await client.connect();
  if (client instanceof Cluster) await Promise.all(client.nodes('master').map((node) => node.ping()));
}

/** Closes a client without waiting for a Redis that may be gone. Idempotent. */
export async function closeClient(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  try {
    await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
  } catch {
    // quit fails when the link is already down; disconnect below frees the socket either way.
  }
  client.disconnect();
}

/**
 * The lifecycle of a backend that owns one command client (presence, lease): start connects (a
 * failed start closes the client for good: build a new instance to retry), close is idempotent,
 * ready while connected and not closed.
 */
export class CommandClientLifecycle {
  #closed = false;

  constructor(
    readonly client: RedisClient,
    readonly backend: string,
  ) {
    client.on('error', () => undefined); // Reported through isReady() and rejected commands.
  }

  async start(): Promise<void> {
    try {
      await connectClient(this.client);
    } catch (error) {
      // No connection keeps retrying behind a failed start: this instance is done; build a new one to retry.
      await this.close();
      throw new BackendError(this.backend, 'could not connect to redis', { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeClient(this.client);
  }

  isReady(): boolean {
    return !this.#closed && isClientReady(this.client);
  }
}

/** `value` when it is a positive number; a RangeError naming the bus option otherwise. */
export function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`redis bus: ${name} must be positive, got ${String(value)}`);
  return value;
}

export function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`redis bus: ${name} must be ≥ 0, got ${String(value)}`);
  return value;
}
