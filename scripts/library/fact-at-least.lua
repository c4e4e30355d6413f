-- fact-at-least.lua: a custom fact of the node is a number at least this.
-- Arguments: the fact's name, then the minimum.
local min = tonumber(args[2])
if args[1] == nil or min == nil then
  error("fact-at-least.lua needs a fact name and a number")
end
return sel.fact_at_least(args[1], min)
