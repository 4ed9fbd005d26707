-- PUT one small attribute (a 10-byte value) per request: a changing request.
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('"%08d"', counter % 100000000)
  return wrk.format("PUT", "/session/attributes/counter", {
    ["X-Auth-Token"] = os.getenv("SESSION_ID"),
    ["Content-Type"] = "application/json",
  }, body)
end
