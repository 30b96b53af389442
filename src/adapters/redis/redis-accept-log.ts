// AcceptLog in Redis (one Redis or a Redis Cluster): exactly-once accept across nodes.
//
// Key layout (prefix P, default "sb:"), every key of a user in its `{a:<userId>}` slot:
//   P{a:<userId>}:<reference>   "?" while pending (PX pendingMs), then the first MESSAGE_ACCEPTED frame (PX windowMs)
// take: SET NX; a pending one is polled every POLL_MS until settled or waitMs passed.
import { BackendError } from '../../core/ports.js';
import type { AcceptLog, AcceptLogTimes, AcceptTake } from '../../core/ports.js';
import type { UserId } from '../../core/ids.js';
import { CommandClientLifecycle, createCommandClient, LuaScript, resolveTarget } from './redis-connection.js';
import type { RedisClient, RedisConnectionOptions } from './redis-connection.js';
import { hashTag } from './redis-key-slot.js';

const PENDING = '?';
const POLL_MS = 20;

/** KEYS key; ARGV frame, windowMs → settles a pending pair (an accepted one keeps its first frame; a lost one is written again). */
const settleScript = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current and current ~= '${PENDING}' then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);

/** KEYS key → forgets a pending pair. */
const forgetScript = new LuaScript(`
if redis.call('GET', KEYS[1]) == '${PENDING}' then redis.call('DEL', KEYS[1]) end
return 1
`);

export interface RedisAcceptLogOptions extends RedisConnectionOptions, AcceptLogTimes {
  /** Prefix of every key. @default "sb:" */
  readonly prefix?: string;
}

export class RedisAcceptLog implements AcceptLog {
  readonly name = 'redis';
  readonly #client: RedisClient;
  readonly #lifecycle: CommandClientLifecycle;
  readonly #prefix: string;
  readonly #windowMs: number;
  readonly #pendingMs: number;
  readonly #waitMs: number;

  constructor(options: RedisAcceptLogOptions) {
    this.#client = createCommandClient(resolveTarget(options), 'accept-log');
    this.#lifecycle = new CommandClientLifecycle(this.#client, this.name);
    this.#prefix = options.prefix ?? 'sb:';
    this.#windowMs = options.windowMs ?? 120_000;
    this.#pendingMs = options.pendingMs ?? 30_000;
    this.#waitMs = options.waitMs ?? 5_000;
  }

  start(): Promise<void> {
    return this.#lifecycle.start();
  }

  close(): Promise<void> {
    return this.#lifecycle.close();
  }

  isReady(): boolean {
    return this.#lifecycle.isReady();
  }

  async take(userId: UserId, reference: string): Promise<AcceptTake> {
    const key = this.#key(userId, reference);
    const deadline = Date.now() + this.#waitMs;
    try {
      for (;;) {
        if ((await this.#client.set(key, PENDING, 'PX', this.#pendingMs, 'NX')) === 'OK') return { kind: 'new' };
        const current = await this.#client.get(key);
        if (current !== null && current !== PENDING) return { kind: 'answered', frame: current };
        // Pending elsewhere (or gone between the two calls: the SET NX runs again).
        if (current === PENDING) {
          if (Date.now() >= deadline) return { kind: 'pending' };
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
      }
    } catch (error) {
      throw new BackendError(this.name, 'accept log command failed', { cause: error });
    }
  }

  async settle(userId: UserId, reference: string, frame: string): Promise<void> {
    await this.#run(settleScript, this.#key(userId, reference), [frame, this.#windowMs]);
  }

  async forget(userId: UserId, reference: string): Promise<void> {
    await this.#run(forgetScript, this.#key(userId, reference), []);
  }

  #key(userId: UserId, reference: string): string {
    return `${this.#prefix}${hashTag(`a:${userId}`)}:${reference}`;
  }

  async #run(script: LuaScript, key: string, args: readonly (string | number)[]): Promise<void> {
    try {
      await script.run(this.#client, [key], args);
    } catch (error) {
      throw new BackendError(this.name, 'accept log command failed', { cause: error });
    }
  }
}
