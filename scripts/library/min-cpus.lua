-- min-cpus.lua: the node has at least this many CPUs.
-- Arguments: a number of CPUs.
local n = tonumber(args[1])
if n == nil then
  error("min-cpus.lua needs a number of CPUs")
end
return sel.min_cpus(n)
