-- find_by_id: loads a session and extends its idle timer in one round trip.
-- KEYS[1]: the session hash.  ARGV[1]: now, epoch milliseconds.
-- Returns nil when there is no session, else the fields as HGETALL lists them
-- (lastAccessedTime as it was before this access).
local fields = read_hash(KEYS[1])
if #fields == 0 then
  return false
end
local interval
for i = 1, #fields, 2 do
  if fields[i] == 'maxInactiveInterval' then
    interval = tonumber(fields[i + 1])
    break
  end
end
-- Corrupt metadata: touch nothing, the caller judges (and deletes) it.
if interval ~= nil and interval == interval then
  redis.call('HSET', KEYS[1], 'lastAccessedTime', ARGV[1])
  apply_ttl(KEYS[1], interval)
end
return fields
