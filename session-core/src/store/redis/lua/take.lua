-- Renewal, first step: removes the live session under its old id and returns
-- its values, so the old id is dead before the new one exists. Announces
-- nothing: the new id's save announces the renewal.
-- Arguments and reply: script_calls/take.rs (TakeArgs, TakeReply).
-- Returns nil when there is no live session.
local hash, marker = KEYS[1], KEYS[2]
if redis.call('EXISTS', marker) == 0 then
  return false
end
local values = read_values(hash)
redis.call('DEL', hash, marker)
if #values == 0 then
  return false
end
return values
