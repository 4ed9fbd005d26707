-- save: applies one session's changes atomically.
-- ARGV and the reply: `SaveArgs` and `SaveReply` in script_calls/save.rs, the
-- one definition of their layout (mode, expiration rule, `created` notice, now,
-- tracked flag, size limits, then counted lists of fields to set and delete and
-- of index fields to set and delete). Counts and limits come from the
-- application and are well-formed; stored values may not be.
--
-- Cost: this runs on every write, so it reads its arguments in place (no
-- copies of ARGV), parses only the numbers it needs, compares deadlines as
-- numbers and formats one only when it is written.
local hash, marker = KEYS[1], KEYS[2]
local mode = ARGV[1]
local result = {1, 1, 0, ''}

-- A live session: its marker exists and its hash holds format-4 metadata
-- (format.lua). Its metadata as stored (another request may have changed the
-- idle timeout: the stored value wins unless this save sets it), version,
-- deadline and size counters (strings: parsed only if this save changes them).
local live = false
local creation, accessed, interval, version, deadline
local stored_count, stored_bytes = false, false
if mode ~= 'new' and redis.call('EXISTS', marker) == 1 then
  -- (pcall: a key of another type is garbage written by someone else.)
  local stored = redis.pcall('HMGET', hash, 'meta', 'version')
  if type(stored) == 'table' and not stored.err then
    local c, a, i, e, n, b = read_meta(stored[1])
    if c then
      live = true
      creation, accessed, interval, deadline = tonumber(c), a, tonumber(i), e
      stored_count, stored_bytes = n, b
      version = tonumber(stored[2])
    end
  end
end
if mode == 'update' then
  -- Gone, or not a session this format can write (a format-3 session is
  -- migrated when first read, before any save): nothing written.
  if not live then
    return {0, 0}
  end
  result[2] = 0
elseif mode == 'create' then
  result[2] = live and 0 or 1
  if not live then
    -- An expired session still in its grace period (or garbage) under this id:
    -- start from nothing, and report its index entries so their sets drop the id.
    local old = append_values({}, read_values(hash), false)
    for i = 1, #old do
      local name, value = index_entry(old[i])
      if name then
        result[#result + 1] = name
        result[#result + 1] = value
      end
    end
    redis.call('DEL', hash)
  end
end

-- Where each list starts in ARGV (the count's position) and how long it is.
-- (Counts are mostly '0': compared before converting, which costs a strtod.)
local meta_n, attr_n = ARGV[12] + 0, ARGV[13] + 0
local fields_from, fields_to = 14, 13 + 2 * (meta_n + attr_n)
local attrs_from = 14 + 2 * meta_n
local del_at = fields_to + 1
local del_n = ARGV[del_at]
del_n = del_n == '0' and 0 or del_n + 0
local iset_at = del_at + 1 + del_n
local iset_n = ARGV[iset_at]
iset_n = iset_n == '0' and 0 or iset_n + 0
local idel_at = iset_at + 1 + 2 * iset_n
local idel_n = ARGV[idel_at]
idel_n = idel_n == '0' and 0 or idel_n + 0

-- Size bounds, checked against what the hash holds now (concurrent requests
-- each adding attributes cannot together exceed them). Counters kept in the
-- hash; one HSTRLEN per attribute this save sets or removes on a live session.
local count_change, bytes_change = 0, 0
for j = attrs_from, fields_to, 2 do
  local field, value = ARGV[j], ARGV[j + 1]
  local old = 0
  if live then
    old = redis.call('HSTRLEN', hash, field)
  end
  if old == 0 then
    count_change = count_change + 1
    bytes_change = bytes_change + #value - HEADER_LEN
  else
    bytes_change = bytes_change + #value - old
  end
end
if live then
  for j = del_at + 1, del_at + del_n do
    local field = ARGV[j]
    local old = redis.call('HSTRLEN', hash, field)
    if old > 0 then
      count_change = count_change - 1
      bytes_change = bytes_change - (old - HEADER_LEN)
    end
  end
end
-- A counter this save leaves alone is written back as stored; a bound is read
-- only when this save grows what it bounds.
local count_arg, bytes_arg = stored_count, stored_bytes
if count_change ~= 0 or not count_arg then
  local count = (number(stored_count) or 0) + count_change
  if count_change > 0 and count > ARGV[10] + 0 then
    return {2, 'attributes', ARGV[10], count}
  end
  count_arg = whole(count)
end
if bytes_change ~= 0 or not bytes_arg then
  local bytes = (number(stored_bytes) or 0) + bytes_change
  if bytes_change > 0 and bytes > ARGV[11] + 0 then
    return {2, 'total', ARGV[11], bytes}
  end
  bytes_arg = whole(bytes)
end
for j = fields_from, attrs_from - 1, 2 do
  local field = ARGV[j]
  if field == 'creationTime' then
    creation = number(ARGV[j + 1])
  elseif field == 'maxInactiveInterval' then
    interval = number(ARGV[j + 1])
  elseif field == 'lastAccessedTime' then
    accessed = ARGV[j + 1]
  end
end
if creation == nil or interval == nil or accessed == nil then
  return redis.error_reply('save: creationTime, lastAccessedTime or maxInactiveInterval unknown')
end
-- Like a read, a write extends the deadline only when it lags by more than the
-- refresh window: most writes then leave the TTLs alone. The new deadline
-- (`meta`'s expiresAt, '-1' for never) is compared as a number and formatted
-- only when it changes.
local ttl = nil
do
  local window = tonumber(ARGV[5]) or 0
  local new_ttl = time_to_live(ARGV[2], ARGV[3], ARGV[4], window, creation, interval)
  local never = new_ttl == NEVER or new_ttl > MAX_TTL_MS
  local new_at = nil
  if not never then
    if new_ttl < 1 then
      new_at = ARGV[8] + 1
    else
      new_at = ARGV[8] + new_ttl
    end
    -- As string.format('%d') would write it (new_at is positive).
    new_at = new_at - new_at % 1
  end
  local lags = true
  if live and window ~= 0 and deadline then
    if never or deadline == '-1' then
      lags = not (never and deadline == '-1')
    else
      local diff = new_at - (tonumber(deadline) or 0)
      lags = diff > window or -diff > window
    end
  end
  if lags then
    ttl = new_ttl
    if never then
      deadline = '-1'
    else
      deadline = string.format('%d', new_at)
    end
  end
end
result[4] = deadline
-- Every applied save is one version (near caches check theirs against it);
-- versions start at 4 (codec.rs: why).
result[3] = math.max(version or 3, 3) + 1

-- Runs `command key a1 a2 ...` in chunks: Lua's unpack has a small limit.
local function call_chunked(command, key, list)
  if #list == 0 then
    return
  elseif #list <= 1000 then
    redis.call(command, key, unpack(list))
    return
  end
  local chunk = {}
  for i = 1, #list do
    chunk[#chunk + 1] = list[i]
    if #chunk == 1000 then
      redis.call(command, key, unpack(chunk))
      chunk = {}
    end
  end
  if #chunk > 0 then
    redis.call(command, key, unpack(chunk))
  end
end

-- Version, metadata and attributes in one HSET, the attributes straight from
-- ARGV when the list fits one call (Lua's unpack has a small limit).
local version_arg = whole(result[3])
local meta = meta_value(creation, accessed, interval, deadline, count_arg, bytes_arg)
if fields_to - attrs_from < 1000 then
  redis.call('HSET', hash, 'version', version_arg, 'meta', meta, unpack(ARGV, attrs_from, fields_to))
else
  local list = {'version', version_arg, 'meta', meta}
  for j = attrs_from, fields_to do
    list[#list + 1] = ARGV[j]
  end
  call_chunked('HSET', hash, list)
end
if del_n > 0 then
  if del_n <= 1000 then
    redis.call('HDEL', hash, unpack(ARGV, del_at + 1, del_at + del_n))
  else
    local fields = {}
    for j = del_at + 1, del_at + del_n do
      fields[#fields + 1] = ARGV[j]
    end
    call_chunked('HDEL', hash, fields)
  end
end

local function replace(name, value)
  local field = 'idx:' .. name
  -- A new id has no old values to report.
  local old = false
  if mode ~= 'new' then
    old = redis.call('HGET', hash, field)
  end
  if value then
    value = index_value(name, value)
  end
  if old and old ~= value then
    result[#result + 1] = name
    local _, old_value = index_entry(old)
    result[#result + 1] = old_value or ''
  end
  if value then
    redis.call('HSET', hash, field, value)
  elseif old then
    redis.call('HDEL', hash, field)
  end
end
for j = iset_at + 1, iset_at + 2 * iset_n, 2 do
  replace(ARGV[j], ARGV[j + 1])
end
for j = idel_at + 1, idel_at + idel_n do
  replace(ARGV[j], false)
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
  redis.call('HGET', hash, 'version')
end
return result
