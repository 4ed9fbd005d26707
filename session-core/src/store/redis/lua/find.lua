-- find_by_id: loads a live session and extends its lifetime in one round trip.
-- ARGV[1]: now, epoch milliseconds.
-- ARGV[2..4]: the expiration rule (common.lua), or 'keep' for a custom policy:
--   the caller sets the TTL afterwards (touch.lua).
-- Returns nil when there is no live session, else the fields as HGETALL lists
-- them (lastAccessedTime as it was before this access).
local hash, marker = KEYS[1], KEYS[2]
if redis.call('EXISTS', marker) == 0 then
  return false
end
local fields = read_hash(hash)
if #fields == 0 then
  redis.call('DEL', marker)
  return false
end
local creation, interval = metadata(fields)
-- Corrupt metadata: touch nothing, the caller judges (and deletes) it.
if creation ~= nil and interval ~= nil then
  redis.call('HSET', hash, 'lastAccessedTime', ARGV[1])
  if ARGV[2] ~= 'keep' then
    local ttl = time_to_live({ARGV[2], ARGV[3], ARGV[4]}, creation, interval)
    apply_ttl(hash, marker, ttl)
    if ttl == 0 then
      return false
    end
  end
end
return fields
