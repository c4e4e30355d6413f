-- min-memory.lua: the node has at least this much memory in total.
-- Arguments: a size, e.g. 16GiB or 512MiB.
if args[1] == nil then
  error("min-memory.lua needs a size, e.g. 16GiB")
end
return sel.min_memory(args[1])
