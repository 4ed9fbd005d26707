-- Custom expiration policies: sets a TTL computed by the caller after find.lua.
-- ARGV[1]: milliseconds, or -1 for never. Returns 1, or 0 when the session is gone.
if redis.call('EXISTS', KEYS[2]) == 0 or redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
apply_ttl(KEYS[1], KEYS[2], tonumber(ARGV[1]))
return 1
