-- Shared by every script (prepended to each): constants and helpers, no effects.
-- Deadline helpers are in expiry.lua, prepended only where they are used.
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
-- The first byte of an index value (codec.rs: INDEX_TAG).
local INDEX_TAG = string.byte('i')

-- HVALS that tolerates a key of another type (garbage written by someone
-- else): such a key is deleted and reads as absent. Values say what they are
-- (codec.rs), so no script needs the field names.
local function read_values(key)
  local values = redis.pcall('HVALS', key)
  if type(values) ~= 'table' or values.err then
    redis.call('DEL', key)
    return {}
  end
  return values
end

-- Appends `values` to `out`: all of them, or only the index values.
local function append_values(out, values, all)
  for i = 1, #values do
    -- A byte compare: no one-character string per value.
    if all or string.byte(values[i], 1) == INDEX_TAG then
      out[#out + 1] = values[i]
    end
  end
  return out
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
