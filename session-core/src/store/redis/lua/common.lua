-- Shared by the scripts below (prepended to each): helpers only, no effects.
-- Every script gets KEYS[1] = the session hash, KEYS[2] = its expiry marker
-- (same hash tag, same cluster slot). A session is live while its marker exists.

local NEVER = -1
-- How long the hash outlives its marker, so that instances told of the marker's
-- expiry can still read the last state and index entries (mod.rs: EXPIRED_GRACE).
local GRACE_MS = 300000
-- What is left of that once an instance has handled the expiry (mod.rs: EXPIRED_LINGER).
local LINGER_MS = 10000
-- Beyond this a timeout means never (PEXPIRE would reject it).
local MAX_TTL_MS = 100000000000000

-- An idle timeout in seconds as milliseconds; negative or absurd values mean never.
local function interval_ms(interval)
  if interval < 0 or interval > 100000000000 then
    return NEVER
  end
  return interval * 1000
end

-- A number, or nil for a missing or non-numeric (or NaN) value.
local function number(text)
  local n = tonumber(text)
  if n == nil or n ~= n then
    return nil
  end
  return n
end

-- Redis's own clock, epoch milliseconds. A fixed deadline is measured with it,
-- so the TTL ends at that deadline however long the request took to get here.
local function clock_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- Milliseconds the session has left after an access now, or NEVER, under the
-- expiration rule the caller passed as four arguments (rule.rs: ScriptRule):
--   'idle', '' | ms, '', window
--                          each session's own idle timeout, or this one
--   'fixed', ms, '' | '-1' | ms, window
--                          fixed timeout from creation, or the idle deadline when
--                          it comes first (FixedTimeoutSessionExpirationPolicy);
--                          the third argument is the idle timeout it was told
--   'ttl', ms | '-1', '', '0'
--                          computed by the caller (custom policies)
-- window: the idle-refresh window in ms. An idle deadline is set that much
-- later, so that reads within the window need not extend it (a session never
-- expires earlier than its idle timeout after its last access, and at most the
-- window later); never past a fixed deadline.
local function time_to_live(rule, creation, interval)
  local own = interval_ms(interval)
  local window = tonumber(rule[4]) or 0
  if rule[1] == 'ttl' then
    return tonumber(rule[2])
  elseif rule[1] == 'idle' then
    local idle = own
    if rule[2] ~= '' then
      idle = tonumber(rule[2])
    end
    if idle == NEVER then
      return NEVER
    end
    return idle + window
  end
  local now = clock_ms()
  local deadline = creation + tonumber(rule[2])
  local remaining = math.max(deadline - now, 0)
  local idle = own
  if rule[3] ~= '' then
    idle = tonumber(rule[3])
  end
  local ttl = remaining
  if idle ~= NEVER and now + idle <= deadline then
    ttl = own
  end
  if ttl ~= NEVER then
    ttl = ttl + window
  end
  -- Never past the absolute deadline, whatever the idle timeout says.
  if ttl == NEVER or ttl > remaining then
    ttl = remaining
  end
  return ttl
end

-- Sets the marker's TTL to `ttl` and the hash's to `ttl` plus the grace
-- period (NEVER: no TTL). 0 expires the session at once, through Redis's own
-- expiry so that listeners hear of it like any other expiry.
local function set_key_ttls(hash, marker, ttl)
  if ttl == NEVER or ttl > MAX_TTL_MS then
    redis.call('SET', marker, '1')
    redis.call('PERSIST', hash)
  else
    ttl = math.max(ttl, 1)
    redis.call('SET', marker, '1', 'PX', string.format('%d', ttl))
    redis.call('PEXPIRE', hash, string.format('%d', ttl + GRACE_MS))
  end
end

-- The hash's `expiresAt` for `ttl` from `now`: epoch milliseconds of the
-- application's clock (the one readers compare it with), '-1' for never.
local function expires_at(ttl, now)
  if ttl == NEVER or ttl > MAX_TTL_MS then
    return '-1'
  end
  return string.format('%d', now + math.max(ttl, 1))
end

-- Whether a deadline (as expires_at gives it) must replace the stored one:
-- always without a refresh window, otherwise when they differ by more than it.
local function deadline_lags(new, stored, rule)
  local window = tonumber(rule[4]) or 0
  if window == 0 or stored == nil or stored == false or new == '-1' or stored == '-1' then
    return window == 0 or new ~= stored
  end
  return math.abs(tonumber(new) - (tonumber(stored) or 0)) > window
end

-- creationTime and maxInactiveInterval as stored (nil when missing or corrupt).
local function stored_metadata(hash)
  local stored = redis.call('HMGET', hash, 'creationTime', 'maxInactiveInterval')
  return number(stored[1]), number(stored[2])
end

-- HGETALL that tolerates a key of another type (garbage written by someone
-- else): such a key is deleted and reads as absent.
local function read_hash(key)
  local fields = redis.pcall('HGETALL', key)
  if type(fields) ~= 'table' or fields.err then
    redis.call('DEL', key)
    return {}
  end
  return fields
end

-- Whether the session is live: its marker exists (and its hash is a hash).
local function is_live(hash, marker)
  return redis.call('EXISTS', marker) == 1 and redis.call('TYPE', hash).ok == 'hash'
end

-- Appends `fields`' pairs to `out`: all of them, or only the index fields.
local function append_fields(out, fields, all)
  for i = 1, #fields, 2 do
    if all or string.sub(fields[i], 1, 4) == 'idx:' then
      out[#out + 1] = fields[i]
      out[#out + 1] = fields[i + 1]
    end
  end
  return out
end

-- Runs `command key a1 a2 ...` in chunks: Lua's unpack has a small limit.
local function call_chunked(command, key, list)
  if #list == 0 then
    return
  elseif #list <= 1000 then
    redis.call(command, key, unpack(list))
    return
  end
  local chunk = {}
  for i = 1, #list do
    chunk[#chunk + 1] = list[i]
    if #chunk == 1000 then
      redis.call(command, key, unpack(chunk))
      chunk = {}
    end
  end
  if #chunk > 0 then
    redis.call(command, key, unpack(chunk))
  end
end

-- Publishes a notice to the other instances. `channel`: '' for none; a
-- leading '?' publishes only when some client subscribes to it (one server:
-- PUBSUB NUMSUB is exact there; on a cluster it is node-local, so the caller
-- sends the channel plain and every notice is published).
local function announce(channel, message)
  if channel == '' then
    return
  end
  if string.sub(channel, 1, 1) == '?' then
    channel = string.sub(channel, 2)
    if redis.call('PUBSUB', 'NUMSUB', channel)[2] == 0 then
      return
    end
  end
  redis.call('PUBLISH', channel, message)
end
