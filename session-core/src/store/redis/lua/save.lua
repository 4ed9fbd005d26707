-- save: applies one session's changes atomically.
-- ARGV[1]: 'new' (a freshly generated id: written without reading anything),
--          'create' (write unconditionally, replacing whatever the id held) or
--          'update' (only if the session is still live: a write racing a logout,
--          a renewal or the expiry must not bring it back).
-- ARGV[2..5]: the expiration rule (common.lua).
-- ARGV[6], ARGV[7]: channel and message published when this creates the
--          session (see announce in common.lua).
-- ARGV[8]: n, then n field/value pairs to set (attributes, metadata).
-- then:    m, then m fields to delete (removed attributes).
-- then:    k, then k index name/value pairs (index fields to set).
-- then:    r, then r index names (index fields to delete).
-- Returns {1, created, rev, name1, old1, ...} with the revision this save
-- produced and the index values that were replaced or removed (their sets must
-- drop this id), or {0, 0} when nothing was written. created is 1 when no live
-- session had this id.
local hash, marker = KEYS[1], KEYS[2]
local result = {1, 1, 0}
local live = false
if ARGV[1] ~= 'new' then
  live = is_live(hash, marker)
  result[2] = live and 0 or 1
end
if ARGV[1] == 'update' and not live then
  return {0, 0}
end
if ARGV[1] == 'create' and not live then
  -- An expired session still in its grace period (or garbage) under this id:
  -- start from nothing, and report its index entries so their sets drop the id.
  local old = read_hash(hash)
  for i = 1, #old, 2 do
    if string.sub(old[i], 1, 4) == 'idx:' then
      result[#result + 1] = string.sub(old[i], 5)
      result[#result + 1] = old[i + 1]
    end
  end
  redis.call('DEL', hash)
end

local i = 8
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

call_chunked('HSET', hash, sets)
call_chunked('HDEL', hash, deletes)
-- Every applied save is one revision (near caches check theirs against it).
redis.call('HINCRBY', hash, 'rev', 1)

local function replace(name, value)
  local field = 'idx:' .. name
  -- A new id has no old values to report.
  local old = false
  if ARGV[1] ~= 'new' then
    old = redis.call('HGET', hash, field)
  end
  if old and old ~= value then
    result[#result + 1] = name
    result[#result + 1] = old
  end
  if value then
    redis.call('HSET', hash, field, value)
  elseif old then
    redis.call('HDEL', hash, field)
  end
end
for j = 1, #index_sets, 2 do
  replace(index_sets[j], index_sets[j + 1])
end
for j = 1, #index_deletes do
  replace(index_deletes[j], false)
end

-- The stored metadata wins over this request's copy (another request may have changed it).
local creation = number(redis.call('HGET', hash, 'creationTime'))
local interval = number(redis.call('HGET', hash, 'maxInactiveInterval'))
if creation ~= nil and interval ~= nil then
  apply_ttl(hash, marker, time_to_live({ARGV[2], ARGV[3], ARGV[4], ARGV[5]}, creation, interval))
end
if result[2] == 1 then
  announce(ARGV[6], ARGV[7])
end
-- Read last: a near cache tracking this key keeps being told of other
-- instances' writes (Redis stops tracking a key for the client that wrote it).
result[3] = tonumber(redis.call('HGET', hash, 'rev'))
return result
