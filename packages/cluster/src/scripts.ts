/**
 * The Lua scripts that make each shared decision atomic in Redis (one script = one key, so they
 * also run on Redis Cluster). Time is Redis's own (TIME), so the nodes' clocks need not agree.
 */
import { script } from './redis-link.js';

/** Redis time in ms, shared by the scripts. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Token bucket (KEYS[1] a hash {t: tokens, u: last refill ms}); ARGV: count, period ms, tokens
 * wanted. Capacity is one period's worth, as core's TokenBucket. Returns {granted, ms until the
 * next token when none is left}.
 */
export const TAKE_TOKENS = script(`${NOW}
local count = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(b[1])
local upd = tonumber(b[2])
if tokens == nil or upd == nil then tokens = count; upd = now end
if now > upd then
  tokens = math.min(count, tokens + (now - upd) * count / per)
  upd = now
end
local granted = 0
if tokens >= 1 then
  granted = math.min(want, math.floor(tokens))
  tokens = tokens - granted
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(upd))
redis.call('PEXPIRE', KEYS[1], math.ceil(per) + 60000)
local wait = 0
if tokens < 1 then wait = math.ceil((1 - tokens) * per / count) end
return {granted, wait}
`);

/**
 * Connection lease (KEYS[1] a sorted set member → expiry ms); ARGV: member, limit, ttl ms.
 * Expired leases (a dead node's) are dropped first. Returns 1 when the member holds a lease.
 */
export const ACQUIRE_LEASE = script(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if held or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[3]))
  return 1
end
return 0
`);

/**
 * Renews (or, after an outage, re-registers) a lease without the limit check: the connection is
 * open, so it counts, even if that puts the key over its limit until connections close.
 */
export const RENEW_LEASE = script(`${NOW}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
return 1
`);

/** Live leases of a key (KEYS[1]) after dropping the expired ones. */
export const COUNT_LEASES = script(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
`);
