-- min-disk.lua: the node has at least this much free disk.
-- Arguments: a size, e.g. 100GiB.
if args[1] == nil then
  error("min-disk.lua needs a size, e.g. 100GiB")
end
return sel.min_disk(args[1])
