// AcceptLog in Redis (one Redis or a Redis Cluster): exactly-once accept across nodes.
//
// Key layout (prefix P, default "sb:"), every key of a user in its `{a:<userId>}` slot:
//   P{a:<userId>}:<reference>   "?<takeOverAtMs>|<id>" while pending, then the first MESSAGE_ACCEPTED frame; PX windowMs
// take: one script (new, answered, pending, or taken over with the first id); a pending one is
// polled every POLL_MS until settled, taken over, or waitMs passed. The take-over time is the
// taker's clock: nodes' clocks should agree within a fraction of pendingMs.
import { BackendError } from '../../core/ports.js';
import type { AcceptLog, AcceptLogTimes, AcceptTake } from '../../core/ports.js';
import type { UserId } from '../../core/ids.js';
import { CommandClientLifecycle, createCommandClient, LuaScript, resolveTarget } from './redis-connection.js';
import type { RedisClient, RedisConnectionOptions } from './redis-connection.js';
import { hashTag } from './redis-key-slot.js';

const POLL_MS = 20;

/** KEYS key; ARGV takeOverAt, id, windowMs, now → {'new', id} | {'answered', frame} | {'pending', id}. */
const takeScript = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], '?' .. ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
  return {'new', ARGV[2]}
end
if string.sub(v, 1, 1) ~= '?' then return {'answered', v} end
local bar = string.find(v, '|', 1, true)
local id = string.sub(v, bar + 1)
if tonumber(string.sub(v, 2, bar - 1)) <= tonumber(ARGV[4]) then
  redis.call('SET', KEYS[1], '?' .. ARGV[1] .. '|' .. id, 'KEEPTTL')
  return {'new', id}
end
return {'pending', id}
`);

/** KEYS key; ARGV frame, windowMs → settles a pending pair (an accepted one keeps its first frame; a lost one is written again). */
const settleScript = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, 1) ~= '?' then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);

/** KEYS key → forgets a pending pair. */
const forgetScript = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, 1) == '?' then redis.call('DEL', KEYS[1]) end
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
    this.#pendingMs = options.pendingMs ?? 10_000;
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

  async take(userId: UserId, reference: string, id: string): Promise<AcceptTake> {
    const key = this.#key(userId, reference);
    const deadline = Date.now() + this.#waitMs;
    for (;;) {
      const now = Date.now();
      const [kind, value] = (await this.#run(takeScript, key, [now + this.#pendingMs, id, this.#windowMs, now])) as [string, string];
      if (kind === 'new') return { kind: 'new', id: value };
      if (kind === 'answered') return { kind: 'answered', frame: value };
      if (Date.now() >= deadline) return { kind: 'pending' };
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
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

  async #run(script: LuaScript, key: string, args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await script.run(this.#client, [key], args);
    } catch (error) {
      throw new BackendError(this.name, 'accept log command failed', { cause: error });
    }
  }
}
