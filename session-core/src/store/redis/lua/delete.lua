-- delete_by_id: removes a session and returns its index fields
-- ({name1, value1, ...}, without the 'idx:' prefix) so their sets can drop it.
-- KEYS[1]: the session hash.
local fields = read_hash(KEYS[1])
local entries = {}
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, 4) == 'idx:' then
    entries[#entries + 1] = string.sub(fields[i], 5)
    entries[#entries + 1] = fields[i + 1]
  end
end
redis.call('DEL', KEYS[1])
return entries
