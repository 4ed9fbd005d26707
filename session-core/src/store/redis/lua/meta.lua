-- A session's `meta` field (format 4; codec.rs is its one description):
-- '4,<creationTime>,<lastAccessedTime>,<maxInactiveInterval>,<expiresAt>,<attribute count>,<attribute bytes>'.
-- Prepended after common.lua to the scripts that read or write it. Items stay
-- strings: a script parses only the numbers it computes with.

-- The items of a stored `meta` (false when missing or not format 4), in order.
local function read_meta(meta)
  if not meta then
    return false
  end
  return string.match(meta, '^4,(%d+),(%d+),(%-?%d+),(%-?%d+),(%d+),(%d+)$')
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
  return '4,' .. item(creation) .. ',' .. item(accessed) .. ',' .. item(interval) .. ',' ..
    item(expires) .. ',' .. item(count) .. ',' .. item(bytes)
end
