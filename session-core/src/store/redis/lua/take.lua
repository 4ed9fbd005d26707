-- Renewal, first step: removes the session under its old id and returns its
-- fields, so the old id is dead before the new one exists.
-- KEYS[1]: the old session hash.  Returns nil when there is no session.
local fields = read_hash(KEYS[1])
if #fields == 0 then
  return false
end
redis.call('DEL', KEYS[1])
return fields
