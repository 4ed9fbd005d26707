-- Format 4's values (codec.rs is their one description): `meta`,
-- 'm4,<creationTime>,<lastAccessedTime>,<maxInactiveInterval>,<expiresAt>,<attribute count>,<attribute bytes>',
-- and the tagged values of attributes and indexes: a tag byte, the name's
-- length (4 bytes, big-endian), the name, the value. Prepended after
-- common.lua to the scripts that read or write them. `meta`'s items stay
-- strings: a script parses only the numbers it computes with.

-- Bytes of a tagged value before its name (tag and length): an attribute's
-- stored size, as the size counters count it, is its field's length less this.
local HEADER_LEN = 5

-- The items of a stored `meta` (false when missing or not format 4), in order.
local function read_meta(meta)
  if not meta then
    return false
  end
  return string.match(meta, '^m4,(%d+),(%d+),(%-?%d+),(%-?%d+),(%d+),(%d+)$')
end

-- The items of `hash`'s `meta` (false when missing, not format 4, or the key
-- is not a hash: garbage written by someone else).
local function stored_meta(hash)
  local stored = redis.pcall('HGET', hash, 'meta')
  if type(stored) == 'table' then
    return false
  end
  return read_meta(stored)
end

-- A whole number as a `meta` item (as '%d' writes it); strings pass as they are.
local function item(n)
  if type(n) == 'string' then
    return n
  end
  return string.format('%d', n)
end

-- `meta`'s value from its items.
local function meta_value(creation, accessed, interval, expires, count, bytes)
  return 'm4,' .. item(creation) .. ',' .. item(accessed) .. ',' .. item(interval) .. ',' ..
    item(expires) .. ',' .. item(count) .. ',' .. item(bytes)
end

-- Index `name`'s stored value `value`, tagged.
local function index_value(name, value)
  local n = #name
  return 'i' .. string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256,
    math.floor(n / 256) % 256, n % 256) .. name .. value
end

-- The index name and value in an index's stored value (nil when it is cut short).
local function index_entry(stored)
  local b1, b2, b3, b4 = string.byte(stored, 2, 5)
  if not b4 then
    return nil
  end
  local n = ((b1 * 256 + b2) * 256 + b3) * 256 + b4
  return string.sub(stored, HEADER_LEN + 1, HEADER_LEN + n), string.sub(stored, HEADER_LEN + n + 1)
end
