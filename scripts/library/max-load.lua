-- max-load.lua: the node's one-minute load average is at most this.
-- Arguments: a number, e.g. 2.5
local n = tonumber(args[1])
if n == nil then
  error("max-load.lua needs a number")
end
return sel.max_load(n)
