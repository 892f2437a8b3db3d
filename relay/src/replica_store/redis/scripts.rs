//! The Lua scripts the Redis backend runs, each one atomic on the server: a budget's sliding
//! window, a pin set unless one is there (and only in the generation the writer knows), the
//! marker and the pins read together, a new marker, and a pin signed again.

use std::sync::LazyLock;

use redis::Script;

/// A sliding window: KEYS[1] the window, ARGV limit, window (ms), member. With a member, take
/// a slot; with an empty one, only check. Returns {1, 0} when there is (was) room, {0, ms until
/// fewer than `limit` slots count} when full: callers with a higher limit may have filled the
/// window past this one's, so that is the (count − limit)-th slot to expire (0-based), the
/// earliest only when the window is exactly full.
pub static WINDOW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local count = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[1])
if count < limit then
  if ARGV[3] ~= '' then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
    redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  end
  return {1, 0}
end
local nth = count - limit
local freeing = redis.call('ZRANGE', KEYS[1], nth, nth, 'WITHSCORES')
return {0, tonumber(freeing[2]) - now}
",
    )
});

/// Pin unless pinned: KEYS[1] the pins, KEYS[2] the marker; ARGV device, value, and the
/// generation the writer knows (empty: pins are not signed). Returns {'pinned'}, {'exists',
/// the value already there}, or {'lost'} when the marker's generation is not the writer's.
pub static SET_PIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if ARGV[3] ~= '' and redis.call('HGET', KEYS[2], 'generation') ~= ARGV[3] then
  return {'lost'}
end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  return {'pinned'}
end
return {'exists', redis.call('HGET', KEYS[1], ARGV[1])}
",
    )
});

/// The marker and the pins, read at once: KEYS[1] the marker, KEYS[2] the pins.
pub static READ: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
",
    )
});

/// A new marker, unless the marker changed since it was read: KEYS[1] the marker; ARGV the
/// generation, when it was made, its signature, and the generation read (empty: none).
pub static INIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = redis.call('HGET', KEYS[1], 'generation') or ''
if now ~= ARGV[4] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'generation', ARGV[1], 'created', ARGV[2], 'sig', ARGV[3])
return 1
",
    )
});

/// Replace a pin's value unless it changed since it was read: KEYS[1] the pins; ARGV device,
/// the value read, the new value.
pub static RESIGN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
",
    )
});
