-- Index lookups: a live session's fields, without touching it; nil when it is
-- expired (marker gone) or deleted.
if redis.call('EXISTS', KEYS[2]) == 0 then
  return false
end
local fields = read_hash(KEYS[1])
if #fields == 0 then
  return false
end
return fields
