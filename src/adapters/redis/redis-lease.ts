// Lease in Redis (one Redis or a Redis Cluster): one holder per name with a fencing token, each
// call one atomic Lua script on the name's own slot.
//
// Key layout (prefix P, default "sb:"), both keys of a name in the `{l:<name>}` slot:
//   P{l:<name>}:holder   string "<token>|<holder>", with the lease as its PX expiry (Redis's clock)
//   P{l:<name>}:token    counter, INCR on every grant to a free or expired name (never deleted)
import { BackendError } from '../../core/ports.js';
import type { Lease } from '../../core/ports.js';
import { CommandClientLifecycle, createCommandClient, LuaScript, resolveTarget } from './redis-connection.js';
import type { RedisClient, RedisConnectionOptions } from './redis-connection.js';
import { hashTag } from './redis-key-slot.js';

/** KEYS holder, token; ARGV holder, ttlMs → token (granted or renewed), or false when someone else holds it. */
const acquireScript = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current then
  local bar = string.find(current, '|', 1, true)
  if string.sub(current, bar + 1) ~= ARGV[1] then return false end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(string.sub(current, 1, bar - 1))
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. '|' .. ARGV[1], 'PX', ARGV[2])
return token
`);

/** KEYS holder; ARGV "<token>|<holder>", ttlMs → 1 renewed, 0 not held. */
const renewScript = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/** KEYS holder; ARGV "<token>|<holder>" → 1 released, 0 not held. */
const releaseScript = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);

export interface RedisLeaseOptions extends RedisConnectionOptions {
  /** Prefix of every key. @default "sb:" */
  readonly prefix?: string;
}

/**
 * Lease over Redis. Lease ends are kept by Redis's clock (PX expiry), so nodes' clocks need not
 * agree. Tokens only grow per name; a holder that lets its lease lapse gets a new token when it
 * acquires again.
 */
export class RedisLease implements Lease {
  readonly name = 'redis';
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #lifecycle: CommandClientLifecycle;

  constructor(options: RedisLeaseOptions) {
    this.#client = createCommandClient(resolveTarget(options), 'lease');
    this.#lifecycle = new CommandClientLifecycle(this.#client, this.name);
    this.#prefix = options.prefix ?? 'sb:';
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

  async acquire(name: string, holder: string, ttlMs: number): Promise<number | undefined> {
    const [holderKey, tokenKey] = this.#keys(name);
    const token = await this.#run(acquireScript, [holderKey, tokenKey], [holder, Math.ceil(ttlMs)]);
    return typeof token === 'number' ? token : undefined;
  }

  async renew(name: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    return (await this.#run(renewScript, [this.#keys(name)[0]], [`${String(token)}|${holder}`, Math.ceil(ttlMs)])) === 1;
  }

  async release(name: string, holder: string, token: number): Promise<void> {
    await this.#run(releaseScript, [this.#keys(name)[0]], [`${String(token)}|${holder}`]);
  }

  #keys(name: string): [holder: string, token: string] {
    const base = this.#prefix + hashTag(`l:${name}`);
    return [`${base}:holder`, `${base}:token`];
  }

  async #run(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await script.run(this.#client, keys, args);
    } catch (error) {
      throw new BackendError(this.name, 'lease command failed', { cause: error });
    }
  }
}

export function createRedisLease(options: RedisLeaseOptions): RedisLease {
  return new RedisLease(options);
}
