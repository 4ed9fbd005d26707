-- save: applies one session's changes atomically.
-- ARGV[1]: 'new' (a freshly generated id: written without reading anything),
--          'create' (write unconditionally, replacing whatever the id held) or
--          'update' (only if the session is still live: a write racing a logout,
--          a renewal or the expiry must not bring it back).
-- ARGV[2..5]: the expiration rule (common.lua).
-- ARGV[6], ARGV[7]: channel and message published when this creates the
--          session (see announce in common.lua).
-- ARGV[8]: now, epoch milliseconds of the application's clock.
-- ARGV[9]: '1' when a near cache tracks this key (read it last, see below).
-- ARGV[10], ARGV[11]: the most attributes, and bytes of attributes (names
--          plus stored values), the session may hold (SessionSizeLimits).
-- ARGV[12]: n, then n field/value pairs to set (attributes, metadata).
-- then:    m, then m fields to delete (removed attributes).
-- then:    k, then k index name/value pairs (index fields to set).
-- then:    r, then r index names (index fields to delete).
-- Returns {2, limit, max, actual} when the save would take the session past a
-- size limit ('attributes' or 'total'): nothing is written.
-- Returns {1, created, rev, deadline, name1, old1, ...} with the revision this
-- save produced, the stored expiresAt after it, and the index values that were
-- replaced or removed (their sets must drop this id), or {0, 0} when nothing
-- was written. created is 1 when no live session had this id.
local hash, marker = KEYS[1], KEYS[2]
local result = {1, 1, 0, ''}
local live = false
if ARGV[1] == 'update' then
  -- (A hash of another type under a live marker is caught by the HMGET below.)
  live = redis.call('EXISTS', marker) == 1
  result[2] = 0
elseif ARGV[1] == 'create' then
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

local i = 12
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

-- The stored metadata (another request may have changed the idle timeout:
-- the stored value wins unless this save sets it), revision and deadline.
local creation, interval, rev, deadline
local count, bytes = 0, 0
if live then
  local stored = redis.pcall(
    'HMGET', hash, 'creationTime', 'maxInactiveInterval', 'rev', 'expiresAt', 'attrCount', 'attrBytes'
  )
  if type(stored) ~= 'table' or stored.err then
    -- Not a hash (garbage written by someone else): like a session gone.
    return {0, 0}
  end
  creation, interval, rev, deadline = number(stored[1]), number(stored[2]), number(stored[3]), stored[4]
  count, bytes = number(stored[5]) or 0, number(stored[6]) or 0
end

-- Size bounds, checked against what the hash holds now (concurrent requests
-- each adding attributes cannot together exceed them). Counters kept in the
-- hash; one HSTRLEN per attribute this save sets or removes on a live session.
local count_before, bytes_before = count, bytes
local function stored_length(field)
  if not live then
    return 0
  end
  return redis.call('HSTRLEN', hash, field)
end
for j = 1, #sets, 2 do
  local field = sets[j]
  if string.sub(field, 1, 5) == 'attr:' then
    local old = stored_length(field)
    if old == 0 then
      count = count + 1
      bytes = bytes + #field - 5 + #sets[j + 1]
    else
      bytes = bytes + #sets[j + 1] - old
    end
  end
end
for j = 1, #deletes do
  local old = stored_length(deletes[j])
  if old > 0 then
    count = count - 1
    bytes = bytes - (#deletes[j] - 5) - old
  end
end
local max_count, max_bytes = tonumber(ARGV[10]), tonumber(ARGV[11])
if count > max_count and count > count_before then
  return {2, 'attributes', ARGV[10], count}
end
if bytes > max_bytes and bytes > bytes_before then
  return {2, 'total', ARGV[11], bytes}
end
sets[#sets + 1] = 'attrCount'
sets[#sets + 1] = string.format('%d', count)
sets[#sets + 1] = 'attrBytes'
sets[#sets + 1] = string.format('%d', bytes)
for j = 1, #sets, 2 do
  if sets[j] == 'creationTime' then
    creation = number(sets[j + 1])
  elseif sets[j] == 'maxInactiveInterval' then
    interval = number(sets[j + 1])
  end
end
-- Like a read, a write extends the deadline only when it lags by more than the
-- refresh window: most writes then leave the TTLs alone.
local ttl = nil
if creation ~= nil and interval ~= nil then
  local rule = {ARGV[2], ARGV[3], ARGV[4], ARGV[5]}
  local new_ttl = time_to_live(rule, creation, interval)
  local new_deadline = expires_at(new_ttl, tonumber(ARGV[8]))
  if not live or deadline_lags(new_deadline, deadline, rule) then
    ttl = new_ttl
    deadline = new_deadline
    sets[#sets + 1] = 'expiresAt'
    sets[#sets + 1] = new_deadline
  end
end
result[4] = deadline or ''
-- Every applied save is one revision (near caches check theirs against it).
result[3] = (rev or 0) + 1
sets[#sets + 1] = 'rev'
sets[#sets + 1] = string.format('%d', result[3])

call_chunked('HSET', hash, sets)
call_chunked('HDEL', hash, deletes)

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

if ttl ~= nil then
  set_key_ttls(hash, marker, ttl)
end
if result[2] == 1 then
  announce(ARGV[6], ARGV[7])
end
if ARGV[9] == '1' then
  -- Read last: Redis stops tracking a key for the client that wrote it; a
  -- read keeps this instance told of other instances' writes.
  redis.call('HGET', hash, 'rev')
end
return result
