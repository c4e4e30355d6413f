-- idle.lua: the node has run no task for at least this many seconds.
-- Arguments: a number of seconds.
local n = tonumber(args[1])
if n == nil then
  error("idle.lua needs a number of seconds")
end
return sel.min_idle(n)
