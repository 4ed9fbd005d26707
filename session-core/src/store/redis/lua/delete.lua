-- delete_by_id: removes a session (hash and marker).
-- ARGV and the reply: `DeleteArgs` and `DeleteReply` in script_calls/delete.rs,
-- the one definition of their layout (all-fields flag, `deleted` notice;
-- {live, field1, value1, ...}).
local hash, marker = KEYS[1], KEYS[2]
local live = redis.call('EXISTS', marker) == 1
local values = read_values(hash)
live = live and #values > 0
redis.call('DEL', hash, marker)
if live then
  announce(ARGV[2], ARGV[3])
  return append_values({1}, values, ARGV[1] == '1')
end
return append_values({0}, values, false)
