-- fact.lua: a custom fact of the node has the given value.
-- Arguments: the fact's name, then the value.
if args[1] == nil or args[2] == nil then
  error("fact.lua needs a fact name and a value")
end
return sel.fact_equals(args[1], args[2])
