-- Admits a login under the maximum sessions per principal. Unlike the other
-- scripts it touches one key of its own: KEYS[1] = the principal's sorted set
-- of session handles, scored by last access (epoch ms). Atomic on that key, so
-- concurrent logins on any instances count each other.
-- ARGV and the reply: `AdmitLoginArgs` and `LoginAdmission` in
-- script_calls/admit_login.rs, the one definition of their layout (handle, now,
-- limit, policy, counted dead members, then live member/last-access pairs;
-- {1, evicted...} or {0}).
local key = KEYS[1]
local handle = ARGV[1]
local now = ARGV[2]
local limit = tonumber(ARGV[3])
local refuse = ARGV[4] == 'refuse'
local dead = tonumber(ARGV[5])
local i = 6
for _ = 1, dead do
  redis.call('ZREM', key, ARGV[i])
  i = i + 1
end
while i < #ARGV do
  local score = redis.call('ZSCORE', key, ARGV[i])
  if score and tonumber(score) < tonumber(ARGV[i + 1]) then
    redis.call('ZADD', key, ARGV[i + 1], ARGV[i])
  end
  i = i + 2
end
if redis.call('ZSCORE', key, handle) then
  redis.call('ZADD', key, now, handle)
  return {1}
end
local count = redis.call('ZCARD', key)
local reply = {1}
if count >= limit then
  if refuse then
    return {0}
  end
  local evicted = redis.call('ZRANGE', key, 0, count - limit)
  for _, member in ipairs(evicted) do
    redis.call('ZREM', key, member)
    reply[#reply + 1] = member
  end
end
redis.call('ZADD', key, now, handle)
return reply
