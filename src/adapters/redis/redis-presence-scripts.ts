// The Lua scripts of RedisPresence. Each runs atomically on the keys of ONE hash slot: the
// node scripts on the `{nodes}` slot, the user scripts on the user's `{u:<userId>}` slot, so they
// work unchanged on a Redis Cluster. Key layout: see redis-presence.ts.
import { LuaScript } from './redis-connection.js';

/** A node's epoch is current and its lease not run out: the check every node write starts with. KEYS live, expiry; ARGV nodeId, epoch, now. */
const LIVE = `
local function live(nodeId, epoch, now)
  local current = redis.call('HGET', KEYS[1], nodeId)
  local expiresAt = redis.call('ZSCORE', KEYS[2], nodeId)
  return current == epoch and expiresAt and tonumber(expiresAt) > tonumber(now)
end
`;

/**
 * KEYS counter, live, expiry, jobs; ARGV nodeId, expiresAt → new epoch. A replaced epoch becomes a
 * reaping job. The epoch is at least Redis's clock in ms, so it still grows after a Redis restart
 * that lost the counter (a writer holding a pre-restart epoch is refused).
 */
export const registerScript = new LuaScript(`
local time = redis.call('TIME')
local floor = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local epoch = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') + 1
if epoch < floor then epoch = floor end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', epoch))
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then redis.call('ZADD', KEYS[4], 0, old .. '|' .. ARGV[1]) end
redis.call('HSET', KEYS[2], ARGV[1], string.format('%d', epoch))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return epoch
`);

/** KEYS live, expiry; ARGV nodeId, epoch, now, expiresAt → 1 renewed, 0 stale. */
export const refreshScript = new LuaScript(`${LIVE}
if not live(ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
`);

/**
 * KEYS live, expiry, users(node epoch); ARGV nodeId, epoch, now, userId → 1 admitted, 0 stale.
 * Records the user in the epoch's user set BEFORE the connection is written, so a reaper that
 * claims this epoch later always visits the user.
 */
export const admitScript = new LuaScript(`${LIVE}
if not live(ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('SADD', KEYS[3], ARGV[4])
return 1
`);

/** KEYS live, count; ARGV nodeId, epoch, delta. Counts connections of a live epoch only. */
export const countScript = new LuaScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
return redis.call('HINCRBY', KEYS[2], ARGV[2] .. '|' .. ARGV[1], ARGV[3])
`);

/**
 * KEYS live, expiry, jobs; ARGV now, claimUntil → claimed jobs ("<epoch>|<nodeId>").
 * Moves every node whose lease ran out to the jobs, then claims every job not claimed (or whose
 * claimer did not finish by its deadline) for this caller until claimUntil.
 */
export const claimScript = new LuaScript(`
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, nodeId in ipairs(expired) do
  redis.call('ZREM', KEYS[2], nodeId)
  local epoch = redis.call('HGET', KEYS[1], nodeId)
  if epoch then
    redis.call('HDEL', KEYS[1], nodeId)
    redis.call('ZADD', KEYS[3], 0, epoch .. '|' .. nodeId)
  end
end
local jobs = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
for _, job in ipairs(jobs) do redis.call('ZADD', KEYS[3], ARGV[2], job) end
return jobs
`);

/** KEYS live, expiry, jobs; ARGV nodeId, epoch, claimUntil → 1 (the epoch is now a job claimed by the caller), 0 stale. */
export const deregisterScript = new LuaScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2] .. '|' .. ARGV[1])
return 1
`);

/** KEYS jobs, users(node epoch), count; ARGV job. A finished job and what it kept. */
export const finishScript = new LuaScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
`);

/**
 * The user's transition generation (KEY gen): drawn with the transition, in the same script. +1 per
 * transition; a user with no number (never seen, forgotten after being offline for the key's expiry,
 * or lost with Redis's data) starts at Redis's clock in ms, above any number it had before. The key
 * lives without expiry while the user is online and for offlineTtl ms after its last transition to offline.
 */
const GENERATION = `
local function current(key)
  return tonumber(redis.call('GET', key) or '0')
end
local function transition(key, online, offlineTtl)
  local g
  if redis.call('EXISTS', key) == 1 then
    g = redis.call('INCR', key)
  else
    local time = redis.call('TIME')
    g = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    redis.call('SET', key, string.format('%d', g))
  end
  if online then redis.call('PERSIST', key) else redis.call('PEXPIRE', key, offlineTtl) end
  return g
end
`;

/**
 * KEYS conns, fence, gen; ARGV connectionId, epoch, nodeId → {-1, 0} stale (the epoch was reaped),
 * {0, gen} known already, {1, gen} added, {2, gen} added and first for the user (gen: that transition's).
 */
export const addScript = new LuaScript(`${GENERATION}
local dead = redis.call('HGET', KEYS[2], ARGV[3])
if dead and tonumber(ARGV[2]) <= tonumber(dead) then return {-1, 0} end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3]) == 0 then return {0, current(KEYS[3])} end
if redis.call('HLEN', KEYS[1]) == 1 then return {2, transition(KEYS[3], true, 0)} end
return {1, current(KEYS[3])}
`);

/**
 * KEYS conns, gen; ARGV connectionId, offlineTtl → false when unknown, else {1 if it was the last,
 * "<epoch>|<nodeId>", gen} (gen: the transition's when last, else the current one).
 */
export const removeScript = new LuaScript(`${GENERATION}
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if not holder then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then return {1, holder, transition(KEYS[2], false, ARGV[2])} end
return {0, holder, current(KEYS[2])}
`);

/** KEYS conns, gen → {connections, gen}: the user's state in one read. */
export const userPresenceScript = new LuaScript(`${GENERATION}
return {redis.call('HLEN', KEYS[1]), current(KEYS[2])}
`);

/**
 * KEYS conns, fence, gen; ARGV nodeId, epoch, fenceTtlMs, offlineTtl → the generation of the
 * user's transition to offline when it is left with no connection, else 0.
 * Removes the user's connections of the node with an epoch up to the dead one, and fences that
 * epoch so a late add of it (admitted just before the claim) is refused.
 */
export const reapScript = new LuaScript(`${GENERATION}
local dead = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[2]) > dead then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
local removed = 0
for i = 1, #all, 2 do
  local holder = all[i + 1]
  local bar = string.find(holder, '|', 1, true)
  if bar and string.sub(holder, bar + 1) == ARGV[1] and tonumber(string.sub(holder, 1, bar - 1)) <= tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[1], all[i])
    removed = removed + 1
  end
end
if removed > 0 and redis.call('HLEN', KEYS[1]) == 0 then return transition(KEYS[3], false, ARGV[4]) end
return 0
`);
