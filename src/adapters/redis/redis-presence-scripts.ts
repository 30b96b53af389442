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
 * KEYS conns, fence; ARGV connectionId, epoch, nodeId → -1 stale (the epoch was reaped), 0 known
 * already, 1 added, 2 added and first for the user.
 */
export const addScript = new LuaScript(`
local dead = redis.call('HGET', KEYS[2], ARGV[3])
if dead and tonumber(ARGV[2]) <= tonumber(dead) then return -1 end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3]) == 0 then return 0 end
if redis.call('HLEN', KEYS[1]) == 1 then return 2 end
return 1
`);

/** KEYS conns; ARGV connectionId → false when unknown, else {1 if it was the last, "<epoch>|<nodeId>"}. */
export const removeScript = new LuaScript(`
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if not holder then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then return {1, holder} end
return {0, holder}
`);

/**
 * KEYS conns, fence; ARGV nodeId, epoch, fenceTtlMs → 1 when the user is left with no connection.
 * Removes the user's connections of the node with an epoch up to the dead one, and fences that
 * epoch so a late add of it (admitted just before the claim) is refused.
 */
export const reapScript = new LuaScript(`
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
if removed > 0 and redis.call('HLEN', KEYS[1]) == 0 then return 1 end
return 0
`);
