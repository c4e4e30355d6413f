-- hostname.lua: the node's hostname matches a Lua pattern.
-- Arguments: a Lua pattern, e.g. ^gpu%d+%.example%.org$
if args[1] == nil then
  error("hostname.lua needs a Lua pattern")
end
return sel.hostname_matches(args[1])
