// Presence in Redis (one Redis or a Redis Cluster): node registration with epochs and leases,
// connections per user, and the reaping of expired nodes, each change one atomic Lua script.
//
// Key layout (prefix P, default "sb:"). Node records share the `{nodes}` slot; each user's keys
// share its own `{u:<userId>}` slot. No script touches keys of two slots.
//   P{nodes}:counter              hash   nodeId → last epoch drawn (≥ Redis TIME in ms, so epochs grow even across a Redis that lost its data)
//   P{nodes}:live                 hash   nodeId → current epoch (absent once expired or deregistered)
//   P{nodes}:expiry               zset   nodeId → lease end, ms since the epoch
//   P{nodes}:users:<nodeId>:<ep>  set    users that may hold a connection of that node epoch
//   P{nodes}:count                hash   "<ep>|<nodeId>" → connections of that live epoch
//   P{nodes}:jobs                 zset   "<ep>|<nodeId>" of dead epochs → 0 (unclaimed) or claim deadline
//   P{u:<userId>}:conns           hash   connectionId → "<ep>|<nodeId>"
//   P{u:<userId>}:fence           hash   nodeId → highest reaped epoch (expires after fenceTtlMs)
//   P{u:<userId>}:gen             string the user's transition generation, +1 in the script of each transition
//                                        (no expiry while online; expires offlineGenerationTtlMs after going offline)
//
// add: admit (nodes slot: epoch live? then SADD the user to the epoch's set) → add (user slot:
// fenced? HSETNX; first when the hash has one field). remove: one user-slot script (last when
// the hash is left empty). expireNodes: claim (nodes slot: move expired nodes to jobs, claim
// jobs) → for each user of a claimed epoch the reap script (user slot) → finish (nodes slot).
// A claimer that dies leaves its jobs to the next caller after claimTtlMs; reaping a user twice
// reports nothing the second time, so each offline user is reported once.
import { BackendError, StaleEpochError } from '../../core/ports.js';
import type { Clock, ExpiredNode, Generation, NodeInfo, OfflineUser, Presence, UserPresence } from '../../core/ports.js';
import type { ConnectionId, NodeId, UserId } from '../../core/ids.js';
import { asNodeId, asUserId } from '../../core/ids.js';
import { CommandClientLifecycle, createCommandClient, resolveTarget } from './redis-connection.js';
import type { LuaScript, RedisClient, RedisConnectionOptions } from './redis-connection.js';
import { hashTag } from './redis-key-slot.js';
import {
  addScript, admitScript, claimScript, countScript, deregisterScript, finishScript, reapScript, refreshScript, registerScript, removeScript, userPresenceScript,
} from './redis-presence-scripts.js';

export interface RedisPresenceOptions extends RedisConnectionOptions {
  /** Prefix of every key. @default "sb:" */
  readonly prefix?: string;
  /** Time source for lease ends and liveness checks. @default Date.now */
  readonly clock?: Clock;
  /**
   * How long a reaper holds a claimed dead epoch before another caller may take it over (should it die midway).
   * @default 30000
   */
  readonly claimTtlMs?: number;
  /**
   * How long a user's fence against a reaped epoch is kept (longer than any add can take).
   * @default 86400000 (one day)
   */
  readonly fenceTtlMs?: number;
  /**
   * Users reaped concurrently per dead epoch.
   * @default 100
   */
  readonly reapBatch?: number;
  /**
   * How long a user's transition generation is kept after it went offline. A user offline for longer
   * starts again at Redis's clock in ms (still above its earlier numbers, see Generation).
   * @default 86400000 (one day)
   */
  readonly offlineGenerationTtlMs?: number;
}

export class RedisPresence implements Presence {
  readonly name = 'redis';
  readonly #client: RedisClient;
  readonly #clock: Clock;
  readonly #claimTtlMs: number;
  readonly #fenceTtlMs: number;
  readonly #reapBatch: number;
  readonly #offlineTtlMs: number;
  readonly #counter: string;
  readonly #live: string;
  readonly #expiry: string;
  readonly #count: string;
  readonly #jobs: string;
  readonly #prefix: string;
  readonly #lifecycle: CommandClientLifecycle;

  constructor(options: RedisPresenceOptions) {
    this.#client = createCommandClient(resolveTarget(options), 'presence');
    this.#lifecycle = new CommandClientLifecycle(this.#client, this.name);
    this.#clock = options.clock ?? Date.now;
    this.#claimTtlMs = options.claimTtlMs ?? 30_000;
    this.#fenceTtlMs = options.fenceTtlMs ?? 86_400_000;
    this.#reapBatch = options.reapBatch ?? 100;
    this.#offlineTtlMs = options.offlineGenerationTtlMs ?? 86_400_000;
    this.#prefix = options.prefix ?? 'sb:';
    const nodes = this.#prefix + hashTag('nodes');
    this.#counter = `${nodes}:counter`;
    this.#live = `${nodes}:live`;
    this.#expiry = `${nodes}:expiry`;
    this.#count = `${nodes}:count`;
    this.#jobs = `${nodes}:jobs`;
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

  async registerNode(nodeId: NodeId, ttlMs: number): Promise<number> {
    return Number(await this.#run(registerScript, [this.#counter, this.#live, this.#expiry, this.#jobs], [nodeId, this.#clock() + ttlMs]));
  }

  async refreshNode(nodeId: NodeId, epoch: number, ttlMs: number): Promise<void> {
    const now = this.#clock();
    if ((await this.#run(refreshScript, [this.#live, this.#expiry], [nodeId, epoch, now, now + ttlMs])) !== 1) throw stale(nodeId, epoch);
  }

  async deregisterNode(nodeId: NodeId, epoch: number): Promise<readonly OfflineUser[]> {
    const ok = await this.#run(deregisterScript, [this.#live, this.#expiry, this.#jobs], [nodeId, epoch, this.#clock() + this.#claimTtlMs]);
    if (ok !== 1) throw stale(nodeId, epoch);
    return this.#reap(nodeId, epoch);
  }

  async addConnection(userId: UserId, connectionId: ConnectionId, nodeId: NodeId, epoch: number): Promise<{ firstForUser: boolean; generation: Generation }> {
    const admitted = await this.#run(admitScript, [this.#live, this.#expiry, this.#usersOf(nodeId, epoch)], [nodeId, epoch, this.#clock(), userId]);
    if (admitted !== 1) throw stale(nodeId, epoch);
    const [conns, fence, gen] = this.#userKeys(userId);
    const [added, generation] = (await this.#run(addScript, [conns, fence, gen], [connectionId, epoch, nodeId])) as [number, number];
    if (added === -1) throw stale(nodeId, epoch);
    if (added === 0) return { firstForUser: false, generation };
    await this.#recount(nodeId, epoch, 1);
    return { firstForUser: added === 2, generation };
  }

  async removeConnection(userId: UserId, connectionId: ConnectionId): Promise<{ lastForUser: boolean; generation: Generation }> {
    const [conns, , gen] = this.#userKeys(userId);
    const removed = (await this.#run(removeScript, [conns, gen], [connectionId, this.#offlineTtlMs])) as [number, string, number] | null;
    if (removed === null) return { lastForUser: false, generation: (await this.userPresence(userId)).generation };
    const holder = parseHolder(removed[1]);
    if (holder !== undefined) await this.#recount(holder.nodeId, holder.epoch, -1);
    return { lastForUser: removed[0] === 1, generation: removed[2] };
  }

  async connectionCount(userId: UserId): Promise<number> {
    return this.#call(() => this.#client.hlen(this.#userKeys(userId)[0]));
  }

  async nodesOf(userId: UserId): Promise<readonly NodeId[]> {
    const holders = await this.#call(() => this.#client.hvals(this.#userKeys(userId)[0]));
    const nodes = new Set<NodeId>();
    for (const value of holders) {
      const holder = parseHolder(value);
      if (holder !== undefined) nodes.add(holder.nodeId);
    }
    return [...nodes];
  }

  async userPresence(userId: UserId): Promise<UserPresence> {
    const [conns, , gen] = this.#userKeys(userId);
    const [connections, generation] = (await this.#run(userPresenceScript, [conns, gen], [])) as [number, number];
    return { connections, generation };
  }

  async expireNodes(now: number): Promise<readonly ExpiredNode[]> {
    const jobs = (await this.#run(claimScript, [this.#live, this.#expiry, this.#jobs], [now, now + this.#claimTtlMs])) as string[];
    const expired: ExpiredNode[] = [];
    for (const job of jobs) {
      const holder = parseHolder(job);
      if (holder !== undefined) expired.push({ nodeId: holder.nodeId, offline: await this.#reap(holder.nodeId, holder.epoch) });
    }
    return expired;
  }

  async nodes(): Promise<readonly NodeInfo[]> {
    const [live, expiry, count] = await this.#call(() =>
      Promise.all([this.#client.hgetall(this.#live), this.#client.zrange(this.#expiry, 0, -1, 'WITHSCORES'), this.#client.hgetall(this.#count)]),
    );
    const now = this.#clock();
    const nodes: NodeInfo[] = [];
    for (let i = 0; i + 1 < expiry.length; i += 2) {
      const nodeId = expiry[i] as string;
      const expiresAt = Number(expiry[i + 1]);
      const epoch = live[nodeId];
      if (epoch === undefined || expiresAt <= now) continue;
      nodes.push({ nodeId: asNodeId(nodeId), connections: Number(count[`${epoch}|${nodeId}`] ?? 0), expiresAt });
    }
    return nodes;
  }

  /** Removes every connection of a dead (claimed) node epoch, user by user; resolves the users left offline. */
  async #reap(nodeId: NodeId, epoch: number): Promise<OfflineUser[]> {
    const users = this.#usersOf(nodeId, epoch);
    const offline: OfflineUser[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#call(() => this.#client.sscan(users, cursor, 'COUNT', this.#reapBatch));
      cursor = next;
      const results = await Promise.all(batch.map((u) => this.#run(reapScript, this.#userKeys(asUserId(u)), [nodeId, epoch, this.#fenceTtlMs, this.#offlineTtlMs])));
      batch.forEach((u, i) => {
        const generation = Number(results[i]);
        if (generation > 0) offline.push({ userId: asUserId(u), generation });
      });
    } while (cursor !== '0');
    await this.#run(finishScript, [this.#jobs, users, this.#count], [`${String(epoch)}|${nodeId}`]);
    return offline;
  }

  async #recount(nodeId: NodeId, epoch: number, delta: number): Promise<void> {
    try {
      await countScript.run(this.#client, [this.#live, this.#count], [nodeId, epoch, delta]);
    } catch {
      // The per-node count only feeds nodes() (an operator's figure); the connection itself is recorded.
    }
  }

  #usersOf(nodeId: NodeId, epoch: number): string {
    return `${this.#prefix}${hashTag('nodes')}:users:${nodeId}:${String(epoch)}`;
  }

  #userKeys(userId: UserId): [conns: string, fence: string, gen: string] {
    const base = this.#prefix + hashTag(`u:${userId}`);
    return [`${base}:conns`, `${base}:fence`, `${base}:gen`];
  }

  #run(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return this.#call(() => script.run(this.#client, keys, args));
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new BackendError(this.name, 'presence command failed', { cause: error });
    }
  }
}

function parseHolder(holder: string): { epoch: number; nodeId: NodeId } | undefined {
  const bar = holder.indexOf('|');
  if (bar < 1) return undefined;
  return { epoch: Number(holder.slice(0, bar)), nodeId: asNodeId(holder.slice(bar + 1)) };
}

function stale(nodeId: NodeId, epoch: number): StaleEpochError {
  return new StaleEpochError(`node ${nodeId} epoch ${String(epoch)} is not current`);
}

export function createRedisPresence(options: RedisPresenceOptions): RedisPresence {
  return new RedisPresence(options);
}
