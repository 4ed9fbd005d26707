-- save: applies one session's changes atomically.
-- KEYS[1]: the session hash.
-- ARGV[1]: 'create' (write unconditionally) or 'update' (only if the session
--          still exists: a write racing a logout or renewal must not bring it back).
-- ARGV[2]: n, then n field/value pairs to set (attributes, metadata).
-- then:    m, then m fields to delete (removed attributes).
-- then:    k, then k index name/value pairs (index fields to set).
-- then:    r, then r index names (index fields to delete).
-- Returns {1, name1, old1, ...} with the index values that were replaced or
-- removed (their sets must drop this id), or {0} when nothing was written.
local key = KEYS[1]
-- TYPE rather than EXISTS: a key someone overwrote with another type is not our session either.
if ARGV[1] == 'update' and redis.call('TYPE', key).ok ~= 'hash' then
  return {0}
end
local i = 2
local function take_list(width)
  local count = tonumber(ARGV[i])
  local list = {}
  for j = 1, count * width do
    list[j] = ARGV[i + j]
  end
  i = i + count * width + 1
  return list
end
local sets = take_list(2)
local deletes = take_list(1)
local index_sets = take_list(2)
local index_deletes = take_list(1)

call_chunked('HSET', key, sets)
call_chunked('HDEL', key, deletes)

local replaced = {1}
local function replace(name, value)
  local field = 'idx:' .. name
  local old = redis.call('HGET', key, field)
  if old and old ~= value then
    replaced[#replaced + 1] = name
    replaced[#replaced + 1] = old
  end
  if value then
    redis.call('HSET', key, field, value)
  elseif old then
    redis.call('HDEL', key, field)
  end
end
for j = 1, #index_sets, 2 do
  replace(index_sets[j], index_sets[j + 1])
end
for j = 1, #index_deletes do
  replace(index_deletes[j], false)
end

-- The stored timeout wins over this request's copy (another request may have changed it).
local interval = tonumber(redis.call('HGET', key, 'maxInactiveInterval'))
if interval ~= nil and interval == interval then
  apply_ttl(key, interval)
end
return replaced
