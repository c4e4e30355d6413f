-- min-free-memory.lua: the node has at least this much memory free.
-- Arguments: a size, e.g. 4GiB.
if args[1] == nil then
  error("min-free-memory.lua needs a size, e.g. 4GiB")
end
return sel.min_free_memory(args[1])
