-- Shared by the scripts below (prepended to each): helpers only, no effects.

-- The key TTL follows the session's idle timeout in seconds. Negative means
-- never; so does an absurdly large value, which PEXPIRE would reject.
local function apply_ttl(key, interval)
  if interval < 0 or interval > 100000000000 then
    redis.call('PERSIST', key)
  else
    redis.call('PEXPIRE', key, string.format('%d', interval * 1000))
  end
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

-- Runs `command key a1 a2 ...` in chunks: Lua's unpack has a small limit.
local function call_chunked(command, key, list)
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
