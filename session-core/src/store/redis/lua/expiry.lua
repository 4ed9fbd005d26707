-- Deadlines and TTLs (prepended after common.lua to the scripts that set them:
-- save, touch). Helpers only, no effects. Every `local function` here costs a
-- closure on each run of the script, so helpers live with the scripts that use them.

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

-- A whole number as a command argument: passed as a number (Redis formats it,
-- cheaper than string.format) when exact, else truncated like '%d' would.
local function whole(n)
  if n % 1 == 0 and n > -1e15 and n < 1e15 then
    return n
  end
  return string.format('%d', n)
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
-- window: the idle-refresh window in ms (the fourth argument, as a number). An
-- idle deadline is set that much later, so that reads within the window need
-- not extend it (a session never expires earlier than its idle timeout after
-- its last access, and at most the window later); never past a fixed deadline.
-- creation is only read by 'fixed'.
local function time_to_live(kind, first, second, window, creation, interval)
  local own = interval_ms(interval)
  if kind == 'ttl' then
    return tonumber(first)
  elseif kind == 'idle' then
    local idle = own
    if first ~= '' then
      idle = tonumber(first)
    end
    if idle == NEVER then
      return NEVER
    end
    return idle + window
  end
  local now = clock_ms()
  local deadline = creation + tonumber(first)
  local remaining = math.max(deadline - now, 0)
  local idle = own
  if second ~= '' then
    idle = tonumber(second)
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
    if ttl < 1 then
      ttl = 1
    end
    redis.call('SET', marker, '1', 'PX', whole(ttl))
    redis.call('PEXPIRE', hash, whole(ttl + GRACE_MS))
  end
end
